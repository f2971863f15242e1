using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using PrefLab.Runtime;
using PrefLab.Text;
using PrefLab.Text.Chat;

namespace PrefLab.Cli.Commands;

/// <summary><c>preflab tokenize</c>: a text or a chat through a model folder's tokenizer, as JSON
/// {"ids": [...], "text": ...} (a chat also prints "assistant_mask"). Needs tokenizer files only, no weights.</summary>
public static class TokenizeCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model folder holding tokenizer.json (and tokenizer_config.json).", HelpName = "DIR", Required = true };
        var text = new Option<string?>("--text") { Description = "Text to tokenize, with special tokens added as Hugging Face's tokenizer(text) does.", HelpName = "TEXT" };
        var chat = new Option<string?>("--chat") { Description = "JSON file with a list of {role, content} messages (or {\"messages\": [...]}) to render with the chat format.", HelpName = "MESSAGES.json" };
        var generationPrompt = new Option<bool>("--add-generation-prompt") { Description = "With --chat: end with the assistant's turn header." };
        var noSpecial = new Option<bool>("--no-special") { Description = "Add no special tokens (no BOS/EOS from the tokenizer; a chat template's own markers stay)." };
        var chatFormat = new Option<string?>("--chat-format") { Description = ChatFormats.OptionHelp("The tokenizer's"), HelpName = "NAME" };
        var command = new Command("tokenize", "Tokenize a text, or render and tokenize a chat, with a model folder's tokenizer; prints JSON.")
        {
            model, text, chat, generationPrompt, noSpecial, chatFormat,
        };
        command.SetAction(parse =>
        {
            string? textValue = parse.GetValue(text);
            string? chatPath = parse.GetValue(chat);
            if ((textValue is null) == (chatPath is null))
                throw UserError.InOption("--text", "give exactly one of --text and --chat");
            if (chatPath is null && parse.GetValue(generationPrompt))
                throw UserError.InOption("--add-generation-prompt", "only applies with --chat");
            if (chatPath is null && parse.GetValue(chatFormat) is not null)
                throw UserError.InOption("--chat-format", "only applies with --chat");

            var tokenizer = TokenizerLoader.Load(parse.GetValue(model)!);
            bool addSpecial = !parse.GetValue(noSpecial);
            JsonObject result;
            if (textValue is not null)
            {
                var ids = tokenizer.Encode(textValue, addSpecial);
                result = new JsonObject { ["ids"] = new JsonArray(ids.Select(i => (JsonNode)i).ToArray()), ["text"] = textValue };
            }
            else
            {
                var messages = ReadMessages(chatPath!);
                var format = ChatFormats.Resolve(tokenizer, parse.GetValue(chatFormat));
                var rendered = format.Render(tokenizer, messages, parse.GetValue(generationPrompt), addSpecial);
                result = new JsonObject
                {
                    ["ids"] = new JsonArray(rendered.Ids.Select(i => (JsonNode)i).ToArray()),
                    ["text"] = rendered.Text,
                    ["format"] = format.Name,
                    ["assistant_mask"] = new JsonArray(rendered.AssistantMask.Select(m => (JsonNode)(m ? 1 : 0)).ToArray()),
                };
            }
            parse.InvocationConfiguration.Output.WriteLine(result.ToJsonString(Readable));
            return CliApp.ExitOk;
        });
        return command;
    }

    // Token texts are full of '<', '>' and non-ASCII chars: print them as they are (still valid JSON).
    static readonly JsonSerializerOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A JSON list of {role, content}, or an object with such a list under "messages".</summary>
    public static List<ChatMessage> ReadMessages(string path)
    {
        if (!File.Exists(path)) throw UserError.InOption("--chat", $"{path}: no such file");
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new UserError($"{path}:{e.LineNumber + 1}: not valid JSON: {e.Message.Split('.')[0]}");
        }
        var list = root switch
        {
            JsonArray a => a,
            JsonObject o when o["messages"] is JsonArray a => a,
            _ => throw new UserError($"{path}: expected a list of {{\"role\", \"content\"}} messages or an object with \"messages\""),
        };
        var messages = new List<ChatMessage>();
        for (int i = 0; i < list.Count; i++)
        {
            if (list[i] is not JsonObject m) throw new UserError($"{path}: messages[{i}]: expected an object with \"role\" and \"content\"");
            string Field(string name) => m[name] is JsonValue v && v.TryGetValue(out string? s)
                ? s : throw new UserError($"{path}: messages[{i}]: field '{name}': expected a string");
            string role = Field("role");
            if (role is not (ChatMessage.System or ChatMessage.User or ChatMessage.Assistant))
                throw new UserError($"{path}: messages[{i}]: field 'role': '{role}' is not one of system, user, assistant");
            messages.Add(new ChatMessage(role, Field("content")));
        }
        return messages;
    }
}
