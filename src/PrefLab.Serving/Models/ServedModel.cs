using PrefLab.Rewards;
using PrefLab.Data.Collation;
using PrefLab.Generation;
using PrefLab.Models;
using PrefLab.Text;
using PrefLab.Text.Chat;

namespace PrefLab.Serving.Models;

/// <summary>A model folder the server answers for, under its id (the folder's name).</summary>
public abstract class ServedModel(string id, string folder) : IDisposable
{
    public string Id { get; } = id;
    public string Folder { get; } = folder;
    /// <summary>"policy" or "reward_model": what /v1/models says and which endpoints apply.</summary>
    public abstract string Kind { get; }
    public abstract void Dispose();
}

/// <summary>A causal LM with its tokenizer and chat format (found as generate and eval find it) and the
/// KV-cached batched generator.</summary>
public sealed class PolicyModel : ServedModel
{
    public PolicyModel(string id, string folder, string? chatFormat) : base(id, folder)
    {
        Tokenizer = TokenizerLoader.Load(folder);
        Chat = new ChatTokenizer(Tokenizer, ChatFormats.Resolve(Tokenizer, chatFormat));
        Model = CausalLM.Load(folder);
        Generator = TextGenerator.For(Model, Tokenizer);
    }

    public override string Kind => "policy";
    public HfTokenizer Tokenizer { get; }
    public ChatTokenizer Chat { get; }
    public CausalLM Model { get; }
    public TextGenerator Generator { get; }
    public int VocabSize => Model.Config.VocabSize;
    /// <summary>Most tokens a sequence may hold, prompt and completion together (the model's positions).</summary>
    public int ContextLength => Model.Config.MaxPositionEmbeddings;

    /// <summary>A token's text as the logprobs fields show it (special tokens included).</summary>
    public string TokenText(int id) => Tokenizer.Decode([id], skipSpecialTokens: false);

    public override void Dispose() => Model.Dispose();
}

/// <summary>A reward model (a <c>*ForSequenceClassification</c> folder), scored as <c>rm score</c> scores.</summary>
public sealed class RewardServedModel(string id, string folder, string? chatFormat) : ServedModel(id, folder)
{
    public RewardModel Rewards { get; } = RewardModel.Load(folder, new RewardModelOptions { ChatFormat = chatFormat });
    public override string Kind => "reward_model";
    public override void Dispose() => Rewards.Dispose();
}
