using System.Text.Json.Nodes;
using PrefLab.Algorithms.OnlineRl;
using PrefLab.Data.Collation;
using PrefLab.Data.Reading;
using PrefLab.Data.Records;
using PrefLab.Models.Presets;
using PrefLab.Models;
using PrefLab.Tests.Generation;
using PrefLab.Tests.Text;
using PrefLab.Text.Chat;
using PrefLab.Text;
using Xunit;
using static TorchSharp.torch;

namespace PrefLab.Tests.RewardModels;

/// <summary>
/// The reward model reads its score at the same position in training, in text scoring (best-of-N, rm score,
/// rm normalize) and in online RL's token-id path: the final assistant turn's EOS. The fixture is GPT-2's
/// byte-level BPE with the Tulu template, which writes a newline after the final EOS — a real token ("Ċ") here,
/// unlike in the World's word-level tokenizer, which drops whitespace and so hid the difference.
/// </summary>
public class ScoringPositionInvariantTests : SingleThreadedTests
{
    sealed class Folders : IDisposable
    {
        readonly TempDir dir = new();
        public Folders()
        {
            Policy = Write("policy", scalarHead: false, tokenizerSuffix: "");
            RewardModel = Write("rm", scalarHead: true, tokenizerSuffix: "");
            // Byte-different (not meaning-different) tokenizer.json: the scorer must decode and re-render.
            RewardModelByText = Write("rm-text", scalarHead: true, tokenizerSuffix: "\n");
        }

        public string Policy { get; }
        public string RewardModel { get; }
        public string RewardModelByText { get; }

        string Write(string name, bool scalarHead, string tokenizerSuffix)
        {
            string folder = dir.File(name);
            string gpt2 = TokenizerFixtures.Folder("gpt2");
            var config = ModelPresets.Create("tiny-test", TokenizerFacts.Read(gpt2));
            using (PretrainedModel model = scalarHead ? ScalarHeadModel.Create(config, seed: 11) : CausalLM.Create(config, seed: 5))
            {
                if (model is ScalarHeadModel rm)
                    using (no_grad()) rm.ScoreWeight.mul_(40);   // spread the scores so a wrong position cannot agree by accident
                model.Save(folder);
            }
            File.WriteAllText(Path.Combine(folder, "tokenizer.json"), File.ReadAllText(Path.Combine(gpt2, "tokenizer.json")) + tokenizerSuffix);
            var tokenizerConfig = JsonNode.Parse(File.ReadAllText(Path.Combine(gpt2, "tokenizer_config.json")))!.AsObject();
            tokenizerConfig["chat_template"] = JsonNode.Parse(File.ReadAllText(Path.Combine(TokenizerFixtures.Folder("chat-tulu"), "tokenizer_config.json")))!["chat_template"]!.DeepClone();
            File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), tokenizerConfig.ToJsonString());
            return folder;
        }

        public void Dispose() => dir.Dispose();
    }

    static readonly string[] Prompts = ["What is the capital of France?", "Is the sky blue?", "Add 2 and 2."];
    static readonly string[] Responses = ["Paris.", "Yes, on a clear day it is.", "2 + 2 = 4"];

    static List<IReadOnlyList<Message>> Messages() => Prompts.Select(p => (IReadOnlyList<Message>)[Message.User(p)]).ToList();

    [Fact]
    public void The_fixture_renders_a_token_after_the_final_EOS()
    {
        using var folders = new Folders();
        var tokenizer = TokenizerLoader.Load(folders.Policy);
        var chat = new ChatTokenizer(tokenizer, ChatFormats.Resolve(tokenizer, null));
        Assert.Equal("tulu", chat.Format.Name);
        var rendered = chat.Format.Render(tokenizer, [new ChatMessage("user", Prompts[0]), new ChatMessage("assistant", Responses[0])]);
        int eos = tokenizer.EosId!.Value;
        Assert.Equal(eos, rendered.Ids[^2]);
        Assert.NotEqual(eos, rendered.Ids[^1]);                      // the template's newline after EOS
    }

    [Fact]
    public void Training_pairs_and_scored_sequences_end_at_the_EOS_the_policy_samples()
    {
        using var folders = new Folders();
        var tokenizer = TokenizerLoader.Load(folders.Policy);
        var chat = new ChatTokenizer(tokenizer, ChatFormats.Resolve(tokenizer, null));
        int eos = tokenizer.EosId!.Value;
        var messages = Messages();
        for (int i = 0; i < Prompts.Length; i++)
        {
            // What online RL scores: the generation prompt's ids, then the sampled response ending with EOS.
            var policyIds = chat.Prompt(messages[i]).Concat(tokenizer.Encode(Responses[i], addSpecialTokens: false)).Append(eos).ToArray();
            var scored = chat.Scored(messages[i], Responses[i], 256, new CollationReport())!;
            Assert.Equal(policyIds, scored.Ids);
            var pair = chat.Pair(new PreferencePair(messages[i], [Message.Assistant(Responses[i])], [Message.Assistant(Responses[(i + 1) % Prompts.Length])]), 256, TruncationPolicy.Drop, new CollationReport())!;
            Assert.Equal(policyIds, pair.Chosen.Ids);
            Assert.Equal(eos, pair.Rejected.Ids[^1]);
            Assert.True(pair.Chosen.LossMask[^1]);                    // the EOS is the last token and inside the loss
        }
    }

    [Fact]
    public void The_token_id_path_and_the_text_path_score_alike()
    {
        using var folders = new Folders();
        var tokenizer = TokenizerLoader.Load(folders.Policy);
        var chat = new ChatTokenizer(tokenizer, ChatFormats.Resolve(tokenizer, null));
        using var byIds = RewardModelScorer.Load(folders.RewardModel, folders.Policy, chat.Format, forwardBatch: 2);
        using var byText = RewardModelScorer.Load(folders.RewardModelByText, folders.Policy, chat.Format, forwardBatch: 2);
        Assert.True(byIds.PassesIds);
        Assert.False(byText.PassesIds);

        var messages = Messages();
        var promptIds = messages.Select(chat.Prompt).ToList();
        int eos = tokenizer.EosId!.Value;
        var responseIds = Responses.Select(r => tokenizer.Encode(r, addSpecialTokens: false).Append(eos).ToArray()).ToList();
        int promptWidth = promptIds.Max(p => p.Length), width = promptWidth + responseIds.Max(r => r.Length);
        var ids = new long[Prompts.Length * width];
        var attention = new long[Prompts.Length * width];
        for (int i = 0; i < Prompts.Length; i++)
        {
            int offset = i * width + promptWidth - promptIds[i].Length;    // left-padded prompt, right-padded response
            for (int t = 0; t < promptIds[i].Length; t++) { ids[offset + t] = promptIds[i][t]; attention[offset + t] = 1; }
            for (int t = 0; t < responseIds[i].Length; t++) { ids[i * width + promptWidth + t] = responseIds[i][t]; attention[i * width + promptWidth + t] = 1; }
        }
        using var scope = NewDisposeScope();
        var batch = new ScoringBatch(messages, Responses, tensor(ids, [Prompts.Length, width]), tensor(attention, [Prompts.Length, width]));
        var idScores = byIds.Score(batch);
        var textScores = byText.Score(batch);
        for (int i = 0; i < idScores.Length; i++) Assert.Equal(idScores[i], textScores[i], 4);
        Assert.Equal(idScores.Length, idScores.Distinct().Count());      // the scores depend on the response
    }
}
