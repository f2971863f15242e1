using PrefLab.Runtime;
using PrefLab.World.Datasets;

namespace PrefLab.World.Language;

/// <summary>
/// Writes the World's tokenizer in Hugging Face layout: tokenizer.json (a WordLevel model over whitespace-split
/// words), tokenizer_config.json with the paper's Tulu 2 chat template, and special_tokens_map.json.
/// </summary>
public static class TokenizerFiles
{
    /// <summary>The Tulu 2 chat template, character for character as the paper's models ship it.</summary>
    public const string TuluChatTemplate =
        "{% for message in messages %}\n{% if message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] }}\n" +
        "{% elif message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] }}\n" +
        "{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n" +
        "{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";

    public const int ModelMaxLength = 256;

    public static void Write(string directory, Vocabulary vocabulary)
    {
        Directory.CreateDirectory(directory);
        AtomicFile.WriteAllBytes(Path.Combine(directory, "tokenizer.json"), TokenizerJson(vocabulary));
        AtomicFile.WriteAllBytes(Path.Combine(directory, "tokenizer_config.json"), WorldJson.Document(w =>
        {
            w.WriteStartObject();
            w.WriteString("bos_token", Vocabulary.Bos);
            w.WriteString("eos_token", Vocabulary.Eos);
            w.WriteString("pad_token", Vocabulary.Pad);
            w.WriteString("unk_token", Vocabulary.Unk);
            w.WriteBoolean("add_bos_token", false);
            w.WriteBoolean("add_eos_token", false);
            w.WriteNumber("model_max_length", ModelMaxLength);
            w.WriteString("tokenizer_class", "PreTrainedTokenizerFast");
            w.WriteString("chat_template", TuluChatTemplate);
            w.WriteEndObject();
        }));
        AtomicFile.WriteAllBytes(Path.Combine(directory, "special_tokens_map.json"), WorldJson.Document(w =>
        {
            w.WriteStartObject();
            w.WriteString("bos_token", Vocabulary.Bos);
            w.WriteString("eos_token", Vocabulary.Eos);
            w.WriteString("pad_token", Vocabulary.Pad);
            w.WriteString("unk_token", Vocabulary.Unk);
            w.WriteStartArray("additional_special_tokens");
            w.WriteStringValue(Vocabulary.System);
            w.WriteStringValue(Vocabulary.User);
            w.WriteStringValue(Vocabulary.Assistant);
            w.WriteEndArray();
            w.WriteEndObject();
        }));
    }

    public static byte[] TokenizerJson(Vocabulary vocabulary) => WorldJson.Document(w =>
    {
        w.WriteStartObject();
        w.WriteString("version", "1.0");
        w.WriteNull("truncation");
        w.WriteNull("padding");
        w.WriteStartArray("added_tokens");
        for (int id = 0; id < Vocabulary.SpecialTokens.Count; id++)
        {
            w.WriteStartObject();
            w.WriteNumber("id", id);
            w.WriteString("content", Vocabulary.SpecialTokens[id]);
            w.WriteBoolean("single_word", false);
            w.WriteBoolean("lstrip", false);
            w.WriteBoolean("rstrip", false);
            w.WriteBoolean("normalized", false);
            w.WriteBoolean("special", true);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteNull("normalizer");
        w.WriteStartObject("pre_tokenizer");
        w.WriteString("type", "WhitespaceSplit");
        w.WriteEndObject();
        w.WriteNull("post_processor");
        w.WriteNull("decoder");
        w.WriteStartObject("model");
        w.WriteString("type", "WordLevel");
        w.WriteStartObject("vocab");
        for (int id = 0; id < vocabulary.Count; id++) w.WriteNumber(vocabulary.Tokens[id], id);
        w.WriteEndObject();
        w.WriteString("unk_token", Vocabulary.Unk);
        w.WriteEndObject();
        w.WriteEndObject();
    });
}
