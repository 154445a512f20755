namespace StyleAlign.Engine.Core;

/// <summary>Elementwise functions of one input; <c>alpha</c> parameterizes Pow, Scale, AddScalar.</summary>
public enum UnaryKind
{
    Neg,
    Exp,
    Log,
    Sqrt,
    Rsqrt,
    Tanh,
    Sigmoid,
    Silu,
    GeluErf,
    GeluTanh,
    QuickGelu,
    Relu,
    Abs,
    Pow,
    Scale,
    AddScalar,
    Square,
    Sin,
    Cos,
}

/// <summary>Elementwise functions of two broadcast inputs. Comparisons return Bool.</summary>
public enum BinaryKind
{
    Add,
    Sub,
    Mul,
    Div,
    Maximum,
    Minimum,
    Equal,
    NotEqual,
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
}

public enum ReduceKind
{
    Sum,
    Mean,
    Max,
    Min,
    LogSumExp,
}

public static class BinaryKindInfo
{
    public static bool IsComparison(this BinaryKind kind) => kind >= BinaryKind.Equal;
}
