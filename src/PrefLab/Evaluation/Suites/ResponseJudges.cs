using PrefLab.Models;
using PrefLab.Runtime;
using PrefLab.Text;
using PrefLab.Text.Chat;
using PrefLab.World;
using static TorchSharp.torch;

namespace PrefLab.Evaluation.Suites;

/// <summary>Scores (prompt, response) pairs for pairwise comparisons; higher is better.</summary>
public interface IResponseJudge : IDisposable
{
    /// <summary>One line: what the judge is.</summary>
    string Description { get; }

    /// <summary>True when the judge's scores are reward-model logits (a Bradley-Terry preference is then meaningful).</summary>
    bool IsRewardModel { get; }

    IReadOnlyList<double> Score(IReadOnlyList<(string Prompt, string Response)> pairs);
}

/// <summary>The World's gold judge: the overall gold score in [0, 1] of a response to a World prompt.</summary>
public sealed class GoldResponseJudge(WorldInstance world) : IResponseJudge
{
    public string Description => $"the Preference World's gold judge ({world.Directory})";
    public bool IsRewardModel => false;

    public IReadOnlyList<double> Score(IReadOnlyList<(string Prompt, string Response)> pairs) =>
        pairs.Select(p => world.Judge.Knows(p.Prompt)
            ? world.Judge.Score(p.Prompt, p.Response).Overall
            : throw UserError.InOption("judge", $"the gold judge knows only World prompts, and \"{Shorten(p.Prompt)}\" is not one; give --judge RM_DIR")).ToList();

    static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";

    public void Dispose() { }
}

/// <summary>
/// A reward model as judge: the conversation [user prompt, assistant response] rendered with the reward model's chat
/// format (its tokenizer_config.json template, else <c>--chat-format</c>) and scored at its last token
/// (<see cref="ScalarHeadModel.Scores"/>), in right-padded batches. Scores are remembered, so a baseline output is
/// scored once however many models are compared with it.
/// </summary>
public sealed class RewardModelJudge : IResponseJudge
{
    readonly ScalarHeadModel model;
    readonly HfTokenizer tokenizer;
    readonly ChatFormat format;
    readonly int batchSize;
    readonly Dictionary<(string, string), double> memo = new();

    public RewardModelJudge(string folder, string? chatFormat, int batchSize)
    {
        Folder = folder;
        tokenizer = TokenizerLoader.Load(folder);
        if (string.IsNullOrWhiteSpace(tokenizer.Config.ChatTemplate) && chatFormat is null)
            throw UserError.InOption("judge", $"{folder}: its tokenizer_config.json has no chat_template; name a chat format with --chat-format ({ChatFormats.KnownNames})");
        format = string.IsNullOrWhiteSpace(tokenizer.Config.ChatTemplate) ? ChatFormats.ByName(chatFormat!) : ChatFormats.Resolve(tokenizer, null);
        this.batchSize = batchSize;
        TorchRuntime.EnsureLoaded();
        model = ScalarHeadModel.Load(folder);
    }

    public string Folder { get; }
    public string Description => $"reward model {Folder} ({format.Name} chat format)";
    public bool IsRewardModel => true;

    public IReadOnlyList<double> Score(IReadOnlyList<(string Prompt, string Response)> pairs)
    {
        var missing = pairs.Distinct().Where(p => !memo.ContainsKey(p)).ToList();
        var sequences = missing.Select(p => format.Render(tokenizer,
            [new ChatMessage(ChatMessage.User, p.Prompt), new ChatMessage(ChatMessage.Assistant, p.Response)]).Ids).ToList();
        int padId = tokenizer.PadId ?? tokenizer.EosId ?? 0;
        int limit = model.Config.MaxPositionEmbeddings;
        using var noGrad = no_grad();
        var order = Enumerable.Range(0, missing.Count).OrderByDescending(i => sequences[i].Length).ToArray();
        foreach (var chunk in order.Chunk(batchSize))
        {
            using var scope = NewDisposeScope();
            // Over-long conversations keep their end (the response's last tokens are where the score is read).
            var rows = chunk.Select(i => sequences[i].Length > limit ? sequences[i][^limit..] : sequences[i]).ToList();
            int length = rows.Max(r => r.Length);
            var ids = new long[chunk.Length * length];
            var mask = new long[chunk.Length * length];
            for (int r = 0; r < rows.Count; r++)
                for (int t = 0; t < length; t++)
                {
                    bool real = t < rows[r].Length;
                    ids[r * length + t] = real ? rows[r][t] : padId;
                    mask[r * length + t] = real ? 1 : 0;
                }
            var scores = model.Scores(tensor(ids).view(chunk.Length, length), tensor(mask).view(chunk.Length, length)); // [B]
            var values = scores.to_type(ScalarType.Float64).data<double>().ToArray();
            for (int r = 0; r < chunk.Length; r++) memo[missing[chunk[r]]] = values[r];
        }
        return pairs.Select(p => memo[p]).ToList();
    }

    public void Dispose() => model.Dispose();
}
