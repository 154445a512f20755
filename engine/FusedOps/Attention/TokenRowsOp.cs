using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.FusedOps.Attention;

/// <summary>
/// Moves whole token rows (dim 0) between a padded layout and a packed one: Pack takes rows[i] of x into row i;
/// Unpack writes row i of x into rows[i] of a zero tensor with targetRows rows. Each is the other's gradient.
/// </summary>
public sealed class TokenRowsOp : Op
{
    private readonly int[] _rows;
    private readonly bool _unpack;
    private readonly int _sourceRows;

    private TokenRowsOp(int[] rows, bool unpack, int sourceRows) => (_rows, _unpack, _sourceRows) = (rows, unpack, sourceRows);

    public override string Name => _unpack ? "UnpackTokens" : "PackTokens";

    public static Tensor Pack(Tensor x, int[] rows)
    {
        CheckRows(rows, x.Shape[0], "pack");
        return new TokenRowsOp(rows, unpack: false, x.Shape[0]).Record(Move(x, rows, unpack: false, rows.Length), x);
    }

    public static Tensor Unpack(Tensor x, int[] rows, int targetRows)
    {
        if (x.Shape[0] != rows.Length) throw new ArgumentException($"unpack: {rows.Length} row indices for a tensor of {x.Shape[0]} rows");
        CheckRows(rows, targetRows, "unpack");
        return new TokenRowsOp(rows, unpack: true, x.Shape[0]).Record(Move(x, rows, unpack: true, targetRows), x);
    }

    protected internal override Tensor?[] Backward(Tensor g) =>
        [_unpack ? Move(g, _rows, unpack: false, _sourceRows) : Move(g, _rows, unpack: true, _sourceRows)];

    private static Tensor Move(Tensor x, int[] rows, bool unpack, int outRows)
    {
        var dims = x.Shape.ToArray();
        dims[0] = outRows;
        var shape = new Shape(dims);
        if (!x.Device.IsCpu)
        {
            var index = Tensor.FromArray(rows).To(x.Device);
            return unpack ? x.Backend.IndexAdd(Tensor.Zeros(shape, x.DType, x.Device), 0, index, x) : x.Backend.IndexSelect(x, 0, index);
        }
        var source = x.Backend.Download(x);
        var rowLength = (int)(x.NumElements / Math.Max(x.Shape[0], 1));
        var result = Array.CreateInstance(source.GetType().GetElementType()!, shape.NumElements);
        for (var i = 0; i < rows.Length; i++)
        {
            var (from, to) = unpack ? (i, rows[i]) : (rows[i], i);
            Array.Copy(source, (long)from * rowLength, result, (long)to * rowLength, rowLength);
        }
        return new Tensor(x.Backend.Upload(result, x.DType), Layout.Contiguous(shape));
    }

    private static void CheckRows(int[] rows, int count, string what)
    {
        foreach (var r in rows)
            if (r < 0 || r >= count) throw new ArgumentOutOfRangeException(nameof(rows), $"{what}: row {r} outside [0, {count})");
    }
}
