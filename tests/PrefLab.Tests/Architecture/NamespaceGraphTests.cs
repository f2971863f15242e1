using Xunit;

namespace PrefLab.Tests.Architecture;

/// <summary>What the layering test counts as one namespace using another, on hand-made sources.</summary>
public class NamespaceGraphTests
{
    static NamespaceGraph Read(params (string Path, string Source)[] files) =>
        NamespaceGraph.Read(files.Select(f => SourceFile.Parse(f.Path, f.Source)).ToList());

    // The declarations that make "Models.Lora", "Data.Prompt", "Runtime.UserError" namespace-qualified names.
    static readonly (string, string)[] Library =
    [
        ("Models/Lora/LoraConfig.cs", "namespace PrefLab.Models.Lora;\npublic sealed record LoraConfig(int R);"),
        ("Data/Prompt.cs", "namespace PrefLab.Data;\npublic sealed record Prompt(string Text);"),
        ("Runtime/UserError.cs", "namespace PrefLab.Runtime;\npublic sealed class UserError : Exception;"),
        ("Training/TrainingOptions.cs", "namespace PrefLab.Training;\npublic sealed record TrainingOptions(int Epochs);"),
        ("Text/Text.cs", "namespace PrefLab.Text;\npublic static class Texts;"),
    ];

    static NamespaceGraph ReadWithLibrary(string path, string source) => Read([.. Library, (path, source)]);

    [Fact]
    public void Reads_using_directives_of_every_form()
    {
        var graph = ReadWithLibrary("Algorithms/A.cs", """
            global using PrefLab.Runtime;
            using static PrefLab.Text.Texts;
            using Config = PrefLab.Models.Lora.LoraConfig;
            using PrefLab.Data;
            namespace PrefLab.Algorithms;
            """);
        Assert.Equal(["Data", "Models", "Runtime", "Text"], graph.Uses("Algorithms"));
    }

    [Fact]
    public void Reads_fully_qualified_names_and_names_qualified_from_PrefLab_down()
    {
        var graph = ReadWithLibrary("Algorithms/Online/A.cs", """
            namespace PrefLab.Algorithms.Online;
            sealed class A
            {
                public Models.Lora.LoraConfig? Lora { get; init; }
                public global::PrefLab.Data.Prompt? Prompt { get; init; }
                public void Check() { if (Lora is null) throw new Runtime.UserError(); }
            }
            """);
        Assert.Equal(["Data", "Models", "Runtime"], graph.Uses("Algorithms"));
        Assert.Equal(["Algorithms/Online/A.cs"], graph.FilesBehind("Algorithms", "Models"));
    }

    [Fact]
    public void Ignores_comments_strings_and_member_access_that_looks_like_a_namespace()
    {
        var graph = ReadWithLibrary("Algorithms/A.cs", """"
            namespace PrefLab.Algorithms;
            /// <summary>Unlike <see cref="PrefLab.Data.Prompt"/>, see Models.Lora.</summary>
            sealed class A
            {
                // PrefLab.Runtime.UserError would be thrown here.
                public PrefLab.Training.TrainingOptions Training { get; init; } = new(1);
                public List<int> Data { get; } = [];
                public int Epochs => Training.Epochs + Data.Count;   // the properties, not PrefLab.Training or PrefLab.Data
                public string Name => "PrefLab.Models.Lora" + @"Data.Prompt" + $"{Epochs} Runtime.UserError" + '"';
                public string Raw => """Text.Texts""";
            }
            """");
        Assert.Equal(["Training"], graph.Uses("Algorithms"));
    }

    [Fact]
    public void Counts_code_inside_interpolation_holes()
    {
        var graph = ReadWithLibrary("Algorithms/A.cs", """
            namespace PrefLab.Algorithms;
            sealed class A { public string Name => $"options: {new Models.Lora.LoraConfig(4)} and {{Data.Prompt}}"; }
            """);
        Assert.Equal(["Models"], graph.Uses("Algorithms"));
    }

    [Fact]
    public void A_nearer_namespace_of_the_same_name_is_not_the_top_level_one()
    {
        var graph = ReadWithLibrary("Evaluation/A.cs", """
            namespace PrefLab.Evaluation;
            sealed class A { public Models.Score? Score { get; init; } }
            """);
        var withNearer = Read([.. Library, ("Evaluation/Models/Score.cs", "namespace PrefLab.Evaluation.Models;\npublic sealed record Score(double Value);"),
            ("Evaluation/A.cs", "namespace PrefLab.Evaluation;\nsealed class A { public Models.Score? Score { get; init; } }")]);
        Assert.Empty(graph.Uses("Evaluation"));   // PrefLab.Models declares no Score: not a reference to it
        Assert.Empty(withNearer.Uses("Evaluation"));   // PrefLab.Evaluation.Models is what C# binds
    }

    [Fact]
    public void A_cycle_written_only_in_qualified_names_fails_the_layering_check()
    {
        // The shape issue 19 started from: Generation used a helper of Algorithms, and Algorithms used Generation.
        var graph = Read(
            ("Algorithms/Common/TokenLogProbs.cs", "namespace PrefLab.Algorithms.Common;\npublic static class TokenLogProbs;"),
            ("Algorithms/BestOfN/BestOfNJob.cs", "namespace PrefLab.Algorithms.BestOfN;\nstatic class BestOfNJob { static Generation.TextGenerator? G; }"),
            ("Generation/TextGenerator.cs", "namespace PrefLab.Generation;\npublic sealed class TextGenerator { object? L = typeof(Algorithms.Common.TokenLogProbs); }"));
        var cycle = Assert.Single(CycleFinder.Find(graph.Edges));
        Assert.Equal("Algorithms -> Generation -> Algorithms (Algorithms -> Generation: Algorithms/BestOfN/BestOfNJob.cs; "
            + "Generation -> Algorithms: Generation/TextGenerator.cs)", graph.Describe(cycle));
    }
}
