using System.Text;
using System.Text.RegularExpressions;

namespace StyleAlign.Tests.Cuda;

/// <summary>One extern "C" entry point of a kernel source: its name and its parameters' C types and sizes in bytes.</summary>
internal sealed record KernelSignature(string Name, IReadOnlyList<string> ParameterTypes, IReadOnlyList<int> ParameterSizes);

/// <summary>
/// Reads the entry points of a kernel family from its source text, the way the compiler sees them: comments
/// dropped, line continuations joined and the function-like macros that instantiate kernels expanded (so
/// `SA_INDEX(float, f32)` yields index_select_rows_f32 and its siblings with their parameter lists).
/// </summary>
internal static partial class KernelSignatures
{
    public static IReadOnlyDictionary<string, KernelSignature> Of(string source)
    {
        var text = ExpandMacros(StripComments(source).Replace("\\\r\n", " ").Replace("\\\n", " "));
        var signatures = new Dictionary<string, KernelSignature>(StringComparer.Ordinal);
        foreach (Match m in EntryPointRegex().Matches(text))
        {
            var name = m.Groups[1].Value;
            var types = m.Groups[2].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(TypeOf).ToArray();
            if (!signatures.TryAdd(name, new KernelSignature(name, types, types.Select(SizeOf).ToArray())))
                throw new InvalidOperationException($"entry point {name} is defined twice");
        }
        return signatures;
    }

    /// <summary>The parameter's type without its name and qualifiers: "const T* __restrict__ q" → "T*".</summary>
    private static string TypeOf(string parameter)
    {
        var words = parameter.Replace("*", " * ").Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Where(w => w is not ("const" or "__restrict__" or "volatile")).ToList();
        if (words.Count < 2) throw new FormatException($"cannot read the parameter '{parameter}'");
        words.RemoveAt(words.Count - 1);
        return string.Concat(words.Select((w, i) => i > 0 && w != "*" && words[i - 1] != "*" ? " " + w : w));
    }

    /// <summary>Bytes of a parameter of a C type as the kernels use them (x86-64 / CUDA: pointers and 64-bit integers are 8).</summary>
    private static int SizeOf(string type) => type.EndsWith('*') ? 8 : type switch
    {
        "i64" or "u64" or "long long" or "unsigned long long" or "double" => 8,
        "int" or "i32" or "u32" or "unsigned int" or "float" => 4,
        "u16" or "short" or "unsigned short" => 2,
        "u8" or "char" or "unsigned char" or "bool" => 1,
        "StridedLayout" => 8 + 8 * 8 * 2,
        _ => throw new FormatException($"no size known for the kernel parameter type '{type}'"),
    };

    private static string StripComments(string source) => CommentRegex().Replace(source, m => m.Value.StartsWith("//", StringComparison.Ordinal) ? "" : " ");

    /// <summary>Expands function-like #define macros (with ## pasting) until none is left; other directives are dropped.</summary>
    private static string ExpandMacros(string text)
    {
        var macros = new Dictionary<string, (string[] Parameters, string Body)>(StringComparer.Ordinal);
        var lines = new StringBuilder();
        foreach (var line in text.Split('\n'))
        {
            var trimmed = line.TrimStart();
            if (!trimmed.StartsWith('#'))
            {
                lines.Append(line).Append('\n');
                continue;
            }
            var define = DefineRegex().Match(trimmed);
            if (define.Success)
                macros[define.Groups[1].Value] = (define.Groups[2].Value.Split(',', StringSplitOptions.TrimEntries), define.Groups[3].Value);
        }
        var result = lines.ToString();
        for (var pass = 0; pass < 16; pass++)
        {
            var expanded = false;
            foreach (var (name, (parameters, body)) in macros)
            {
                int at;
                while ((at = FindInvocation(result, name)) >= 0)
                {
                    var open = result.IndexOf('(', at + name.Length);
                    var (arguments, end) = Arguments(result, open);
                    if (arguments.Length != parameters.Length)
                        throw new FormatException($"macro {name} takes {parameters.Length} arguments, got {arguments.Length}");
                    var replaced = body;
                    for (var i = 0; i < parameters.Length; i++)
                        replaced = Regex.Replace(replaced, $@"\b{Regex.Escape(parameters[i])}\b", arguments[i].Replace("$", "$$"));
                    replaced = PasteRegex().Replace(replaced, "");
                    result = result[..at] + replaced + result[(end + 1)..];
                    expanded = true;
                }
            }
            if (!expanded) return result;
        }
        throw new FormatException("macro expansion did not finish after 16 passes");
    }

    private static int FindInvocation(string text, string name)
    {
        foreach (Match m in Regex.Matches(text, $@"\b{Regex.Escape(name)}\s*\("))
            return m.Index;
        return -1;
    }

    /// <summary>The comma-separated arguments of a call whose '(' is at open, and the index of its ')'.</summary>
    private static (string[] Arguments, int End) Arguments(string text, int open)
    {
        var arguments = new List<string>();
        var depth = 0;
        var start = open + 1;
        for (var i = open; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '(') depth++;
            else if (c == ')' && --depth == 0)
            {
                arguments.Add(text[start..i].Trim());
                return (arguments.ToArray(), i);
            }
            else if (c == ',' && depth == 1)
            {
                arguments.Add(text[start..i].Trim());
                start = i + 1;
            }
        }
        throw new FormatException("unbalanced parentheses in a macro call");
    }

    [GeneratedRegex(@"//[^\n]*|/\*.*?\*/", RegexOptions.Singleline)] private static partial Regex CommentRegex();
    [GeneratedRegex(@"^#\s*define\s+(\w+)\(([^)]*)\)\s*(.*)$")] private static partial Regex DefineRegex();
    [GeneratedRegex(@"\s*##\s*")] private static partial Regex PasteRegex();
    [GeneratedRegex(@"extern\s+""C""\s+__global__\s+void\s+(?:__launch_bounds__\s*\((?:[^()]|\([^()]*\))*\)\s*)?(\w+)\s*\(([^)]*)\)")] private static partial Regex EntryPointRegex();
}
