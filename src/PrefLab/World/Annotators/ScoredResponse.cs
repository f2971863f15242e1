using PrefLab.World.Language;
using PrefLab.World.Scoring;

namespace PrefLab.World.Annotators;

/// <summary>A candidate response with what annotators look at: its gold score, its length, its tone.</summary>
public sealed record ScoredResponse(string Text, string Model, GoldScore Gold)
{
    public int Length { get; } = WorldText.Tokens(Text).Length;
    /// <summary>Hedges or refuses: the tone a confidence-biased rater marks down.</summary>
    public bool Unconfident { get; } = ResponseAnalysis.Of(Text) is var a && (a.Hedges || a.Refuses);
}

/// <summary>Agreement of labels with gold over pairs: the measured count and the annotator model's expectation.</summary>
public sealed class AgreementTally
{
    /// <summary>Pairs whose gold scores differ and whose label is not a tie.</summary>
    public int Pairs { get; private set; }
    public int Agreements { get; private set; }
    /// <summary>Pairs skipped because gold scores tie.</summary>
    public int GoldTies { get; private set; }
    /// <summary>Pairs skipped because the label is a tie (arena ties, equal ratings).</summary>
    public int LabelTies { get; private set; }
    double expectedAgree, expectedDecisive;

    /// <summary>Records one labelled pair: <paramref name="labelPrefersFirst"/> null for a label tie;
    /// <paramref name="expectation"/> is (P(label agrees with gold), P(label is decisive)) under the annotator's model.</summary>
    public void Add(double goldFirst, double goldSecond, bool? labelPrefersFirst, (double Agree, double Decisive) expectation)
    {
        if (Math.Abs(goldFirst - goldSecond) < 1e-9) { GoldTies++; return; }
        expectedAgree += expectation.Agree;
        expectedDecisive += expectation.Decisive;
        if (labelPrefersFirst is null) { LabelTies++; return; }
        Pairs++;
        if (labelPrefersFirst.Value == goldFirst > goldSecond) Agreements++;
    }

    public double Measured => Pairs == 0 ? double.NaN : (double)Agreements / Pairs;
    /// <summary>The agreement the annotator's model predicts for these very responses.</summary>
    public double Expected => expectedDecisive == 0 ? double.NaN : expectedAgree / expectedDecisive;
}
