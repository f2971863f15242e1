using PrefLab.Data.Records;
using PrefLab.Text.Chat;
using PrefLab.Text;

namespace PrefLab.Data.Collation;

/// <summary>
/// Turns records into token sequences with the model's chat format: the whole conversation is rendered once
/// and tokenized once (rendering the prompt separately is not always a token prefix), and the loss mask comes
/// from the format's assistant spans (content plus the end-of-turn token the model must learn to emit).
/// </summary>
public sealed class ChatTokenizer
{
    public ChatTokenizer(HfTokenizer tokenizer, ChatFormat format)
    {
        Tokenizer = tokenizer;
        Format = format;
    }

    public HfTokenizer Tokenizer { get; }
    public ChatFormat Format { get; }

    /// <summary>The id used for padding: the tokenizer's pad token where it has one (distinct from EOS), else EOS
    /// (safe: padding is masked out of attention and loss), else 0.</summary>
    public int PadId => Tokenizer.PadId ?? Tokenizer.EosId ?? 0;

    static IReadOnlyList<ChatMessage> Messages(IEnumerable<Message> messages) =>
        messages.Select(m => new ChatMessage(m.Role, m.Content)).ToList();

    /// <summary>SFT: loss on every assistant turn. Null when dropped (counted in <paramref name="report"/>).</summary>
    public TokenizedSequence? Sft(SftExample example, int maxLength, TruncationPolicy policy, CollationReport report)
    {
        var rendered = Format.Render(Tokenizer, Messages(example.Messages));
        return Fit(rendered.Ids, rendered.AssistantMask, maxLength, policy, report);
    }

    /// <summary>A prompt rendered for generation (ends with the assistant header), as ids.</summary>
    public int[] Prompt(IReadOnlyList<Message> prompt) =>
        Format.Render(Tokenizer, Messages(prompt), addGenerationPrompt: true).Ids;

    /// <summary>
    /// A preference pair as two sequences with the loss on the final assistant turn. The prompt is kept whole;
    /// under <see cref="TruncationPolicy.Truncate"/> completions lose their tail so the longer fits; a pair whose
    /// prompt leaves no room for a completion token is dropped. Under <see cref="TruncationPolicy.Drop"/> (the
    /// reward model's rule) any pair that does not fit is dropped.
    /// </summary>
    public TokenizedPair? Pair(PreferencePair pair, int maxLength, TruncationPolicy policy, CollationReport report)
    {
        var chosen = EndAtFinalTurn(Format.Render(Tokenizer, Messages(pair.ChosenConversation)));
        var rejected = EndAtFinalTurn(Format.Render(Tokenizer, Messages(pair.RejectedConversation)));
        bool[] chosenMask = chosen.Mask, rejectedMask = rejected.Mask;
        int promptLength = Math.Min(FirstTrue(chosenMask), FirstTrue(rejectedMask));
        if (promptLength < 0 || !chosenMask.Any(m => m) || !rejectedMask.Any(m => m))
        {
            report.Drop("no assistant completion");
            return null;
        }
        // Both renderings start with the same prompt tokens up to the first completion token.
        for (int i = 0; i < promptLength; i++)
            if (chosen.Ids[i] != rejected.Ids[i])
            {
                promptLength = i;
                break;
            }

        bool tooLong = chosen.Ids.Length > maxLength || rejected.Ids.Length > maxLength;
        if (tooLong && policy == TruncationPolicy.Drop)
        {
            report.Drop("longer than --max-length");
            return null;
        }
        if (promptLength >= maxLength)
        {
            report.Drop("prompt fills --max-length");
            return null;
        }
        var c = Cut(chosen.Ids, chosenMask, maxLength);
        var r = Cut(rejected.Ids, rejectedMask, maxLength);
        if (c.LossTokens == 0 || r.LossTokens == 0)
        {
            report.Drop("completion fully truncated");
            return null;
        }
        report.Keep(tooLong);
        return new TokenizedPair(c, r, promptLength, pair.Margin);
    }

    /// <summary>Reward-model scoring of prompt + response: the sequence up to the response's end-of-turn token,
    /// dropped (null) if it does not fit.</summary>
    public TokenizedSequence? Scored(IReadOnlyList<Message> prompt, string response, int maxLength, CollationReport report)
    {
        var (ids, mask) = EndAtFinalTurn(Format.Render(Tokenizer, Messages(prompt.Append(Message.Assistant(response)))));
        return Fit(ids, mask, maxLength, TruncationPolicy.Drop, report);
    }

    /// <summary>
    /// The rendered ids up to and including the final assistant turn's last token (its EOS / end-of-turn), with
    /// that turn's mask. Templates such as tulu, ChatML and Qwen3 write a newline after the final EOS; a reward
    /// model reads its score at the last real token, so keeping that newline would train (and text-score) the
    /// head at a position the policy's own ids never have: PPO/RLOO/GRPO score the policy's sequence, which
    /// ends at the EOS it sampled. For DPO and SFT the dropped tail is outside the loss mask and after every
    /// masked token, so their log-probs are unchanged.
    /// </summary>
    static (int[] Ids, bool[] Mask) EndAtFinalTurn(RenderedChat rendered)
    {
        var mask = rendered.FinalTurnMask();
        int end = Array.LastIndexOf(mask, true) + 1;   // 0 when there is no assistant turn: Fit/Pair drop it
        return end == 0 ? (rendered.Ids, mask) : (rendered.Ids[..end], mask[..end]);
    }

    static TokenizedSequence? Fit(int[] ids, bool[] mask, int maxLength, TruncationPolicy policy, CollationReport report)
    {
        if (!mask.Any(m => m))
        {
            report.Drop("no assistant completion");
            return null;
        }
        if (ids.Length <= maxLength)
        {
            report.Keep(truncated: false);
            return new TokenizedSequence(ids, mask);
        }
        if (policy == TruncationPolicy.Drop)
        {
            report.Drop("longer than --max-length");
            return null;
        }
        var cut = Cut(ids, mask, maxLength);
        if (cut.LossTokens == 0)
        {
            report.Drop("completion fully truncated");
            return null;
        }
        report.Keep(truncated: true);
        return cut;
    }

    static TokenizedSequence Cut(int[] ids, bool[] mask, int maxLength) =>
        ids.Length <= maxLength ? new TokenizedSequence(ids, mask) : new TokenizedSequence(ids[..maxLength], mask[..maxLength]);

    static int FirstTrue(bool[] mask) => Array.IndexOf(mask, true);
}
