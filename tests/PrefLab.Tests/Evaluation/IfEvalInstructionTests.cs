using System.Text.Json.Nodes;
using PrefLab.Evaluation.IfEval;
using Xunit;

namespace PrefLab.Tests.Evaluation;

public class IfEvalInstructionTests
{
    internal static IReadOnlyDictionary<string, JsonNode?> Kwargs(string json) =>
        new IfEvalInstruction("x", (JsonObject)JsonNode.Parse(json)!).Arguments;

    static bool Follows(string id, string kwargs, string response) => InstructionRegistry.Create(id, Kwargs(kwargs))(response);

    [Theory]
    // length_constraints:number_words — \w+ runs; "don't" is two words.
    [InlineData("length_constraints:number_words", """{"num_words": 5, "relation": "less than"}""", "one two three four", true)]
    [InlineData("length_constraints:number_words", """{"num_words": 5, "relation": "less than"}""", "one two three four five", false)]
    [InlineData("length_constraints:number_words", """{"num_words": 6, "relation": "at least"}""", "don't stop me now, ok", true)]
    [InlineData("length_constraints:number_words", """{"num_words": 6, "relation": "at least"}""", "do stop me now, ok", false)]
    // length_constraints:number_sentences — abbreviations do not end sentences.
    [InlineData("length_constraints:number_sentences", """{"num_sentences": 3, "relation": "less than"}""", "Hi there. How are you?", true)]
    [InlineData("length_constraints:number_sentences", """{"num_sentences": 3, "relation": "less than"}""", "One. Two. Three.", false)]
    [InlineData("length_constraints:number_sentences", """{"num_sentences": 3, "relation": "at least"}""", "Dr. Smith met Mr. Jones. They talked.", false)]
    [InlineData("length_constraints:number_sentences", """{"num_sentences": 3, "relation": "at least"}""", "I saw it! Did you? Yes.", true)]
    // length_constraints:number_paragraphs — "***" dividers; an empty middle paragraph fails.
    [InlineData("length_constraints:number_paragraphs", """{"num_paragraphs": 2}""", "First part.\n***\nSecond part.", true)]
    [InlineData("length_constraints:number_paragraphs", """{"num_paragraphs": 2}""", "First\n***\n***\nSecond", false)]
    [InlineData("length_constraints:number_paragraphs", """{"num_paragraphs": 1}""", "***\nOnly one\n***", true)]
    [InlineData("length_constraints:number_paragraphs", """{"num_paragraphs": 2}""", "Just one paragraph.", false)]
    // length_constraints:nth_paragraph_first_word
    [InlineData("length_constraints:nth_paragraph_first_word", """{"num_paragraphs": 2, "nth_paragraph": 2, "first_word": "Moreover"}""", "Intro text.\n\nMoreover, more text.", true)]
    [InlineData("length_constraints:nth_paragraph_first_word", """{"num_paragraphs": 2, "nth_paragraph": 2, "first_word": "moreover"}""", "Intro.\n\n\"Moreover\" he said.", true)]
    [InlineData("length_constraints:nth_paragraph_first_word", """{"num_paragraphs": 2, "nth_paragraph": 2, "first_word": "moreover"}""", "Intro.\n\nHowever, no.", false)]
    [InlineData("length_constraints:nth_paragraph_first_word", """{"num_paragraphs": 2, "nth_paragraph": 2, "first_word": "moreover"}""", "Intro.\n\nMoreover yes.\n\nThird.", false)]
    // keywords:existence — substrings, any case.
    [InlineData("keywords:existence", """{"keywords": ["correlated", "experiencing"]}""", "We are Experiencing correlated events", true)]
    [InlineData("keywords:existence", """{"keywords": ["correlated", "experiencing"]}""", "only correlated", false)]
    // keywords:forbidden_words — whole words only.
    [InlineData("keywords:forbidden_words", """{"forbidden_words": ["rock", "field"]}""", "I like ROCK music", false)]
    [InlineData("keywords:forbidden_words", """{"forbidden_words": ["rock", "field"]}""", "rocky fields", true)]
    // keywords:frequency — substrings count.
    [InlineData("keywords:frequency", """{"keyword": "war", "frequency": 2, "relation": "at least"}""", "War and war", true)]
    [InlineData("keywords:frequency", """{"keyword": "war", "frequency": 3, "relation": "at least"}""", "War, warm war", true)]
    [InlineData("keywords:frequency", """{"keyword": "war", "frequency": 2, "relation": "at least"}""", "peace only, war once", false)]
    [InlineData("keywords:frequency", """{"keyword": "war", "frequency": 2, "relation": "less than"}""", "war once", true)]
    // keywords:letter_frequency — any one character, case-insensitive.
    [InlineData("keywords:letter_frequency", """{"letter": "t", "let_frequency": 2, "let_relation": "less than"}""", "Tap", true)]
    [InlineData("keywords:letter_frequency", """{"letter": "t", "let_frequency": 2, "let_relation": "less than"}""", "That", false)]
    [InlineData("keywords:letter_frequency", """{"letter": "#", "let_frequency": 4, "let_relation": "at least"}""", "#a #b #c #d", true)]
    [InlineData("keywords:letter_frequency", """{"letter": "#", "let_frequency": 4, "let_relation": "at least"}""", "#a #b #c", false)]
    // change_case:*
    [InlineData("change_case:english_lowercase", "{}", "hello world, 123.", true)]
    [InlineData("change_case:english_lowercase", "{}", "Hello world", false)]
    [InlineData("change_case:english_lowercase", "{}", "123", false)]
    [InlineData("change_case:english_lowercase", "{}", "привет мир", false)]
    [InlineData("change_case:english_capital", "{}", "HELLO WORLD!", true)]
    [InlineData("change_case:english_capital", "{}", "HELLO World", false)]
    [InlineData("change_case:english_capital", "{}", "ПРИВЕТ МИР", false)]
    [InlineData("change_case:capital_word_frequency", """{"capital_frequency": 3, "capital_relation": "at least"}""", "I LOVE NASA and you", true)]
    [InlineData("change_case:capital_word_frequency", """{"capital_frequency": 3, "capital_relation": "at least"}""", "I love NASA", false)]
    [InlineData("change_case:capital_word_frequency", """{"capital_frequency": 3, "capital_relation": "less than"}""", "DON'T STOP", false)]
    [InlineData("change_case:capital_word_frequency", """{"capital_frequency": 4, "capital_relation": "less than"}""", "DON'T STOP", true)]
    // startend:*
    [InlineData("startend:end_checker", """{"end_phrase": "Is there anything else I can help with?"}""", "Sure.\nIs there anything else I can help with?", true)]
    [InlineData("startend:end_checker", """{"end_phrase": "Is there anything else I can help with?"}""", "\"... is there anything else i can help with?\"  ", true)]
    [InlineData("startend:end_checker", """{"end_phrase": "Is there anything else I can help with?"}""", "Is there anything else I can help with? Bye", false)]
    [InlineData("startend:quotation", "{}", "\"Hello\"", true)]
    [InlineData("startend:quotation", "{}", "  \"Hi there\"\n", true)]
    [InlineData("startend:quotation", "{}", "\"Hi", false)]
    [InlineData("startend:quotation", "{}", "\"", false)]
    // detectable_format:*
    [InlineData("detectable_format:json_format", "{}", "```json\n{\"a\": 1}\n```", true)]
    [InlineData("detectable_format:json_format", "{}", "{\"a\": [1, 2]}", true)]
    [InlineData("detectable_format:json_format", "{}", "Here: {\"a\": 1}", false)]
    [InlineData("detectable_format:json_format", "{}", "{'a': 1}", false)]
    [InlineData("detectable_format:number_bullet_lists", """{"num_bullets": 3}""", "* one\n* two\n- three", true)]
    [InlineData("detectable_format:number_bullet_lists", """{"num_bullets": 3}""", "* one\n**bold**\n* two", false)]
    [InlineData("detectable_format:number_bullet_lists", """{"num_bullets": 3}""", "* a\n* b\n* c\n* d", false)]
    [InlineData("detectable_format:number_highlighted_sections", """{"num_highlights": 2}""", "*one* and **two**", true)]
    [InlineData("detectable_format:number_highlighted_sections", """{"num_highlights": 2}""", "*one* and ** **", false)]
    [InlineData("detectable_format:number_highlighted_sections", """{"num_highlights": 1}""", "*a\nb*", false)]
    [InlineData("detectable_format:multiple_sections", """{"section_spliter": "SECTION", "num_sections": 2}""", "SECTION 1\nfoo\nSECTION 2\nbar", true)]
    [InlineData("detectable_format:multiple_sections", """{"section_spliter": "SECTION", "num_sections": 2}""", "Section 1\nfoo\nSection 2\nbar", false)]
    [InlineData("detectable_format:multiple_sections", """{"section_spliter": "Section", "num_sections": 2}""", "Section 1 only", false)]
    [InlineData("detectable_format:title", "{}", "<<My Title>>\ntext", true)]
    [InlineData("detectable_format:title", "{}", "<< >> text", false)]
    [InlineData("detectable_format:title", "{}", "<<a\nb>>", false)]
    [InlineData("detectable_format:constrained_response", "{}", "My answer is yes.", true)]
    [InlineData("detectable_format:constrained_response", "{}", "Well... My answer is maybe. Because", true)]
    [InlineData("detectable_format:constrained_response", "{}", "my answer is yes.", false)]
    // punctuation:no_comma
    [InlineData("punctuation:no_comma", "{}", "No commas here.", true)]
    [InlineData("punctuation:no_comma", "{}", "Yes, one.", false)]
    // detectable_content:*
    [InlineData("detectable_content:number_placeholders", """{"num_placeholders": 2}""", "[name] lives at [address]", true)]
    [InlineData("detectable_content:number_placeholders", """{"num_placeholders": 2}""", "[name] lives here", false)]
    [InlineData("detectable_content:postscript", """{"postscript_marker": "P.S."}""", "Hi.\n\nP.S. bye", true)]
    [InlineData("detectable_content:postscript", """{"postscript_marker": "P.S."}""", "Hi. p. s. bye", true)]
    [InlineData("detectable_content:postscript", """{"postscript_marker": "P.S."}""", "Hi there", false)]
    [InlineData("detectable_content:postscript", """{"postscript_marker": "P.P.S"}""", "Text.\nP.P.S more", true)]
    [InlineData("detectable_content:postscript", """{"postscript_marker": "P.P.S"}""", "Text.\nP.S. more", false)]
    // combination:*
    [InlineData("combination:repeat_prompt", """{"prompt_to_repeat": "Write a poem. "}""", "write a poem. Roses are red", true)]
    [InlineData("combination:repeat_prompt", """{"prompt_to_repeat": "Write a poem."}""", "Sure! Write a poem.", false)]
    [InlineData("combination:two_responses", "{}", "Answer one\n******\nAnswer two", true)]
    [InlineData("combination:two_responses", "{}", "******\nA\n******\nB", true)]
    [InlineData("combination:two_responses", "{}", "Same\n******\nSame ", false)]
    [InlineData("combination:two_responses", "{}", "One\n******\n******\nTwo", false)]
    [InlineData("combination:two_responses", "{}", "Only one", false)]
    public void Checker_accepts_and_rejects_hand_made_responses(string id, string kwargs, string response, bool expected) =>
        Assert.Equal(expected, Follows(id, kwargs, response));

    [Fact]
    public void Every_instruction_id_the_task_names_is_supported()
    {
        string[] required =
        [
            "length_constraints:number_words", "length_constraints:number_sentences", "length_constraints:number_paragraphs",
            "length_constraints:nth_paragraph_first_word", "keywords:existence", "keywords:forbidden_words", "keywords:frequency",
            "keywords:letter_frequency", "change_case:english_lowercase", "change_case:english_capital",
            "change_case:capital_word_frequency", "startend:end_checker", "startend:quotation", "detectable_format:json_format",
            "detectable_format:number_bullet_lists", "detectable_format:number_highlighted_sections",
            "detectable_format:multiple_sections", "detectable_format:title", "detectable_format:constrained_response",
            "punctuation:no_comma", "detectable_content:number_placeholders", "detectable_content:postscript",
            "combination:repeat_prompt", "combination:two_responses",
        ];
        Assert.All(required, id => Assert.True(InstructionRegistry.IsSupported(id), id));
        Assert.Equal(required.Order(), InstructionRegistry.SupportedIds.Order());
        Assert.Equal(["language:response_language"], InstructionRegistry.UnsupportedIds);
    }

    [Theory]
    [InlineData("length_constraints:number_words", """{"relation": "at least"}""", "argument 'num_words' is missing")]
    [InlineData("length_constraints:number_words", """{"num_words": 10, "relation": "at most"}""", "argument 'relation' must be \"less than\" or \"at least\", not \"at most\"")]
    [InlineData("length_constraints:number_words", """{"num_words": "ten", "relation": "at least"}""", "argument 'num_words' must be a whole number")]
    [InlineData("length_constraints:number_words", """{"num_words": 10, "relation": "at least", "num_word": 3}""", "unknown argument num_word (it takes num_words, relation)")]
    [InlineData("punctuation:no_comma", """{"keywords": ["x"]}""", "unknown argument keywords (it takes no arguments)")]
    [InlineData("keywords:letter_frequency", """{"letter": "ab", "let_frequency": 2, "let_relation": "at least"}""", "argument 'letter' must be one character")]
    [InlineData("keywords:existence", """{"keywords": "war"}""", "argument 'keywords' must be a list of strings")]
    [InlineData("no_such:instruction", "{}", "unknown IFEval instruction 'no_such:instruction'")]
    public void Bad_kwargs_name_the_instruction_and_argument(string id, string kwargs, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => InstructionRegistry.Create(id, Kwargs(kwargs)));
        Assert.Contains(message, error.Message);
        Assert.Throws<ArgumentException>(() => InstructionRegistry.Validate(id, Kwargs(kwargs)));
    }

    [Fact]
    public void Null_kwargs_from_the_hugging_face_copy_are_absent()
    {
        var check = InstructionRegistry.Create("length_constraints:number_words",
            Kwargs("""{"num_words": 3, "relation": "at least", "keywords": null, "num_highlights": null, "language": null}"""));
        Assert.True(check("one two three"));
        Assert.False(check("one two"));
        // Whole-number floats (some exports write 3.0) are accepted.
        Assert.True(InstructionRegistry.Create("detectable_content:number_placeholders", Kwargs("""{"num_placeholders": 1.0}"""))("[x]"));
    }

    [Fact]
    public void The_language_instruction_validates_but_refuses_to_score()
    {
        InstructionRegistry.Validate("language:response_language", Kwargs("""{"language": "kn"}"""));
        Assert.Throws<ArgumentException>(() => InstructionRegistry.Validate("language:response_language", Kwargs("{}")));
        var error = Assert.Throws<UnsupportedInstructionError>(() => InstructionRegistry.Create("language:response_language", Kwargs("""{"language": "kn"}""")));
        Assert.IsAssignableFrom<PrefLab.Runtime.UserError>(error);
        Assert.Contains("language:response_language", error.Message);
        Assert.Contains("not supported", error.Message);
    }
}
