using TorchSharp;

namespace PrefLab.Runtime;

/// <summary>How many TorchSharp tensors this thread holds alive: the leak check for training loops
/// (it must stay flat across steps).</summary>
public static class LiveTensors
{
    public static long Count => DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;
}
