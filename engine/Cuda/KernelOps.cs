namespace StyleAlign.Engine.Cuda;

// Op codes passed to the multi-op kernels. They mirror the enums at the top of kernels/elementwise.cu and
// kernels/reduce.cu; KernelOpCodesTests reads those sources and fails when the two lists drift apart.

/// <summary>`op` of elementwise_unary_*; the scalar argument is used by PowScalar, AddScalar and MulScalar.</summary>
public enum UnaryKernelOp
{
    Neg = 0, Exp = 1, Log = 2, Sqrt = 3, Rsqrt = 4, Tanh = 5, Sigmoid = 6, Silu = 7, GeluErf = 8, GeluTanh = 9,
    QuickGelu = 10, Relu = 11, Abs = 12, PowScalar = 13, AddScalar = 14, MulScalar = 15, Reciprocal = 16, Square = 17,
}

/// <summary>`op` of elementwise_binary_*.</summary>
public enum BinaryKernelOp { Add = 0, Sub = 1, Mul = 2, Div = 3, Maximum = 4, Minimum = 5, Pow = 6 }

/// <summary>`op` of elementwise_compare_* (output u8).</summary>
public enum CompareKernelOp { Eq = 0, Ne = 1, Lt = 2, Le = 3, Gt = 4, Ge = 5 }

/// <summary>`op` of reduce_lastdim_*.</summary>
public enum ReduceKernelOp { Sum = 0, Mean = 1, Max = 2, Min = 3, LogSumExp = 4, SumOfSquares = 5 }
