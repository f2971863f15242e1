namespace PrefLab.Evaluation.Scorers;

/// <summary>
/// A fitted two-parameter logistic regression p = sigmoid(Intercept + Slope * x): coefficients, their
/// covariance (inverse of the penalised observed information), and how the fit went.
/// </summary>
public sealed record LogisticFit(double Intercept, double Slope, double InterceptVariance, double SlopeVariance, double Covariance,
    int Iterations, bool Converged)
{
    /// <summary>
    /// Fits by Newton-Raphson (IRLS) with step halving, maximising sum of y log p + (1 - y) log(1 - p) minus
    /// ridge/2 * (a^2 + b^2). Targets may be fractional (a tie is 0.5: the Bernoulli quasi-likelihood). The small
    /// ridge keeps the coefficients finite when the data separate (every target 1, say) without moving a
    /// well-determined fit measurably.
    /// </summary>
    public static LogisticFit Fit(IReadOnlyList<double> x, IReadOnlyList<double> y, double ridge = 1e-4, int maxIterations = 100, double tolerance = 1e-10)
    {
        if (x.Count != y.Count) throw new ArgumentException($"need one target per feature: {x.Count} features, {y.Count} targets");
        if (x.Count == 0) throw new ArgumentException("no observations");
        if (ridge < 0) throw new ArgumentOutOfRangeException(nameof(ridge), ridge, "ridge must not be negative");
        double a = 0, b = 0;
        double objective = Objective(x, y, a, b, ridge);
        int iteration = 0;
        bool converged = false;
        (double h00, double h01, double h11) = Information(x, a, b, ridge);
        while (iteration < maxIterations)
        {
            iteration++;
            double g0 = -ridge * a, g1 = -ridge * b;
            for (int i = 0; i < x.Count; i++)
            {
                double residual = y[i] - Sigmoid(a + b * x[i]);
                g0 += residual;
                g1 += residual * x[i];
            }
            // Newton step: information^-1 * gradient (2x2 solve).
            double determinant = h00 * h11 - h01 * h01;
            double stepA = (h11 * g0 - h01 * g1) / determinant;
            double stepB = (h00 * g1 - h01 * g0) / determinant;
            double scale = 1;
            double candidate = Objective(x, y, a + stepA, b + stepB, ridge);
            while (candidate < objective && scale > 1e-10)
            {
                scale /= 2;
                candidate = Objective(x, y, a + scale * stepA, b + scale * stepB, ridge);
            }
            a += scale * stepA;
            b += scale * stepB;
            objective = candidate;
            (h00, h01, h11) = Information(x, a, b, ridge);
            if (Math.Abs(scale * stepA) + Math.Abs(scale * stepB) < tolerance) { converged = true; break; }
        }
        double det = h00 * h11 - h01 * h01;
        return new LogisticFit(a, b, h11 / det, h00 / det, -h01 / det, iteration, converged);
    }

    public static double Sigmoid(double z) => z >= 0 ? 1 / (1 + Math.Exp(-z)) : Math.Exp(z) / (1 + Math.Exp(z));

    static (double, double, double) Information(IReadOnlyList<double> x, double a, double b, double ridge)
    {
        double h00 = ridge, h01 = 0, h11 = ridge;
        for (int i = 0; i < x.Count; i++)
        {
            double p = Sigmoid(a + b * x[i]);
            double w = p * (1 - p);
            h00 += w;
            h01 += w * x[i];
            h11 += w * x[i] * x[i];
        }
        // A constant feature (all x equal to 0) leaves h11 at the ridge; with ridge 0 keep the system solvable.
        if (h11 == 0) h11 = 1e-12;
        if (h00 == 0) h00 = 1e-12;
        return (h00, h01, h11);
    }

    static double Objective(IReadOnlyList<double> x, IReadOnlyList<double> y, double a, double b, double ridge)
    {
        double sum = -ridge / 2 * (a * a + b * b);
        for (int i = 0; i < x.Count; i++)
        {
            double z = a + b * x[i];
            // log sigmoid(z) and log(1 - sigmoid(z)) = log sigmoid(-z), computed without overflow.
            sum += y[i] * LogSigmoid(z) + (1 - y[i]) * LogSigmoid(-z);
        }
        return sum;
    }

    static double LogSigmoid(double z) => z >= 0 ? -double.LogP1(Math.Exp(-z)) : z - double.LogP1(Math.Exp(z));
}
