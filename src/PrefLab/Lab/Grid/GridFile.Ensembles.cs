using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace PrefLab.Lab.Grid;

public static partial class GridFile
{
    sealed partial class Reader
    {
        static readonly HashSet<string> EnsembleKeys = ["ensemble", "combine", "weights"];

        /// <summary>
        /// A <c>reward_model</c> level <c>{ ensemble: [a, b], combine: mean|min|weights, weights: [..] }</c>. Its members
        /// are other levels, checked by <see cref="CheckEnsembleMembers"/> once every level is read (so a member may be
        /// written after the ensemble). It takes no training options: the members are trained as their own levels, and
        /// sharing those nodes is the point.
        /// </summary>
        RewardModelLevel EnsembleLevel(YamlMappingNode level, YamlNode membersNode, string name, int position, int line)
        {
            string field = "reward_model." + name;
            foreach (var (key, keyNode, _) in yaml.Entries(level, field))
                if (!EnsembleKeys.Contains(key))
                    throw yaml.Error(keyNode, GridYaml.Join(field, key),
                        "an ensemble combines other reward_model levels, each trained as its own level: give only `ensemble`, `combine` and `weights`");
            if (membersNode is not YamlSequenceNode list)
                throw yaml.Error(membersNode, field + ".ensemble", "expected a list of reward_model levels, e.g. [small, large]");
            var members = new List<string>();
            foreach (var item in list.Children)
            {
                string member = yaml.Text(item, field + ".ensemble");
                if (members.Contains(member)) throw yaml.Error(item, field + ".ensemble", $"'{member}' appears twice");
                members.Add(member);
            }
            if (members.Count < 2)
                throw yaml.Error(membersNode, field + ".ensemble", $"an ensemble combines two or more reward_model levels ({members.Count} given)");

            var combineNode = Child(level, "combine");
            string combine = combineNode is null ? "mean" : yaml.Text(combineNode, field + ".combine").ToLowerInvariant();
            if (!RewardModelEnsemble.Combiners.Contains(combine))
                throw yaml.Error(combineNode!, field + ".combine", $"'{combine}' is not a combiner ({string.Join(", ", RewardModelEnsemble.Combiners)})");
            var weightsNode = Child(level, "weights");
            List<double>? weights = null;
            if (combine == "weights")
            {
                if (weightsNode is null)
                    throw yaml.Error(level, field + ".weights", $"missing: `combine: weights` needs one weight per member ({members.Count}), e.g. [1, 2]");
                weights = Weights(weightsNode, field + ".weights", members.Count);
            }
            else if (weightsNode is not null)
                throw yaml.Error(weightsNode, field + ".weights", $"applies only with `combine: weights`, not `combine: {combine}`");
            return new RewardModelLevel(name, position, line, false, null, null, null, null, Settings.Empty)
            {
                Ensemble = new RewardModelEnsemble(members, combine, weights),
            };
        }

        /// <summary>One finite, non-negative weight per member, not all zero (the rule <c>--ensemble-weights</c> enforces).</summary>
        List<double> Weights(YamlNode node, string field, int members)
        {
            if (node is not YamlSequenceNode list) throw yaml.Error(node, field, "expected a list of numbers, one per member, e.g. [1, 2]");
            var weights = new List<double>();
            foreach (var item in list.Children)
            {
                double weight = yaml.Scalar(item, field) switch
                {
                    JsonValue v when v.TryGetValue<long>(out var whole) => whole,
                    JsonValue v when v.TryGetValue<double>(out var real) => real,
                    _ => throw yaml.Error(item, field, "expected a number"),
                };
                if (weight < 0)
                    throw yaml.Error(item, field, $"weight {weights.Count + 1} is {weight.ToString(CultureInfo.InvariantCulture)}; weights must be non-negative");
                weights.Add(weight);
            }
            if (weights.Count != members)
                throw yaml.Error(node, field, $"gives {weights.Count} weight{(weights.Count == 1 ? "" : "s")} for {members} members; give one per member of `ensemble`, in its order");
            if (weights.All(w => w == 0)) throw yaml.Error(node, field, "are all zero; at least one weight must be positive");
            return weights;
        }

        /// <summary>Every member of an ensemble names a trained level: not an unknown name, not the gold scorer (it is no
        /// reward model folder, and its scores are on another scale), not another ensemble (they do not nest).</summary>
        void CheckEnsembleMembers(YamlMappingNode mapping, IReadOnlyList<RewardModelLevel> levels)
        {
            foreach (var level in levels.Where(l => l.Ensemble is not null))
            {
                string field = $"reward_model.{level.Name}.ensemble";
                var items = ((YamlSequenceNode)Child((YamlMappingNode)Child(mapping, level.Name)!, "ensemble")!).Children;
                for (int i = 0; i < items.Count; i++)
                {
                    string member = level.Ensemble!.Members[i];
                    var target = levels.FirstOrDefault(l => l.Name == member);
                    if (target is null)
                        throw yaml.Error(items[i], field, $"'{member}' is not a level of reward_model ({string.Join(", ", levels.Select(l => l.Name))})");
                    if (target.Gold)
                        throw yaml.Error(items[i], field,
                            $"'{member}' is the World's gold scorer, not a trained reward model: an ensemble combines trained levels (compare it with `{member}` as a level of its own)");
                    if (target.Ensemble is not null)
                        throw yaml.Error(items[i], field, $"'{member}' is itself an ensemble; ensembles do not nest: list its members instead");
                }
            }
        }
    }
}
