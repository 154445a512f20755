namespace StyleAlign.Engine.Cuda.Backend;

// Op codes passed to the multi-op kernels. They mirror the enums at the top of kernels/elementwise.cu and
// kernels/reduce.cu; KernelOpCodeTests reads those sources and fails when the two lists drift apart. The unary
// kernels of kernels/tensor.cu take UnaryKind's own values.

/// <summary>`op` of elementwise_binary_strided_*.</summary>
public enum BinaryKernelOp { Add = 0, Sub = 1, Mul = 2, Div = 3, Maximum = 4, Minimum = 5, Pow = 6 }

/// <summary>`op` of elementwise_compare_* (output u8).</summary>
public enum CompareKernelOp { Eq = 0, Ne = 1, Lt = 2, Le = 3, Gt = 4, Ge = 5 }

/// <summary>`op` of reduce_lastdim_*.</summary>
public enum ReduceKernelOp { Sum = 0, Mean = 1, Max = 2, Min = 3, LogSumExp = 4, SumOfSquares = 5 }
