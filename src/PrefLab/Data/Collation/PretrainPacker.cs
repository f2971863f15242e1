using PrefLab.Text;

namespace PrefLab.Data.Collation;

/// <summary>
/// Pretraining blocks: each text tokenized as the tokenizer does by default (its BOS if it adds one) followed
/// by EOS, concatenated, and cut into blocks of exactly <c>blockSize</c> tokens; every token is a target. The
/// tail that does not fill a block is dropped (reported). Texts attend across their EOS, as in GPT-style
/// pretraining.
/// </summary>
public static class PretrainPacker
{
    public static List<TokenizedSequence> Pack(IEnumerable<string> texts, ITokenizer tokenizer, int blockSize, out long droppedTailTokens)
    {
        if (blockSize < 2) throw new ArgumentOutOfRangeException(nameof(blockSize));
        var blocks = new List<TokenizedSequence>();
        var current = new List<int>(blockSize);
        var allTrue = Enumerable.Repeat(true, blockSize).ToArray();
        foreach (string text in texts)
        {
            var ids = tokenizer.Encode(text, addSpecialTokens: true).ToList();
            if (tokenizer.EosId is int eos && (ids.Count == 0 || ids[^1] != eos)) ids.Add(eos);
            foreach (int id in ids)
            {
                current.Add(id);
                if (current.Count == blockSize)
                {
                    blocks.Add(new TokenizedSequence(current.ToArray(), allTrue));
                    current.Clear();
                }
            }
        }
        droppedTailTokens = current.Count;
        return blocks;
    }
}
