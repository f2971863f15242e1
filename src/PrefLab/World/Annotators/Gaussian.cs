namespace PrefLab.World.Annotators;

/// <summary>Normal draws and probabilities for the annotators' noise models.</summary>
public static class Gaussian
{
    /// <summary>A standard normal draw (Box-Muller; two uniforms per draw, so streams stay aligned).</summary>
    public static double Sample(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>The standard normal CDF (via erf; absolute error below 1.5e-7).</summary>
    public static double Cdf(double x) => 0.5 * (1.0 + Erf(x / Math.Sqrt(2.0)));

    static double Erf(double x)
    {
        // Abramowitz and Stegun 7.1.26.
        double sign = Math.Sign(x);
        x = Math.Abs(x);
        double t = 1.0 / (1.0 + 0.3275911 * x);
        double y = 1.0 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.Exp(-x * x);
        return sign * y;
    }

    /// <summary>
    /// The distribution of clamp(floor(mean + sigma * z + 0.5), low, high) for a standard normal z: a rating
    /// rounded to the nearest whole step, as the rating annotators draw it.
    /// </summary>
    public static double[] RoundedDistribution(double mean, double sigma, int low, int high)
    {
        var p = new double[high - low + 1];
        for (int k = low; k <= high; k++)
        {
            double upper = k == high ? 1.0 : Cdf((k + 0.5 - mean) / sigma);
            double lower = k == low ? 0.0 : Cdf((k - 0.5 - mean) / sigma);
            p[k - low] = Math.Max(0, upper - lower);
        }
        return p;
    }

    public static int RoundedDraw(double mean, double sigma, int low, int high, Random rng) =>
        Math.Clamp((int)Math.Floor(mean + sigma * Sample(rng) + 0.5), low, high);

    /// <summary>P(X > Y) and P(X == Y) for independent discrete X, Y over the same offsets.</summary>
    public static (double Greater, double Equal) Compare(double[] x, double[] y)
    {
        double greater = 0, equal = 0;
        for (int i = 0; i < x.Length; i++)
            for (int j = 0; j < y.Length; j++)
            {
                if (i > j) greater += x[i] * y[j];
                else if (i == j) equal += x[i] * y[j];
            }
        return (greater, equal);
    }

    /// <summary>The distribution of a sum of independent discrete variables (offsets add).</summary>
    public static double[] Convolve(double[] a, double[] b)
    {
        var c = new double[a.Length + b.Length - 1];
        for (int i = 0; i < a.Length; i++)
            for (int j = 0; j < b.Length; j++) c[i + j] += a[i] * b[j];
        return c;
    }
}
