// transform.cpp — the one source transform the stand-in needs, done on preprocessed text (macros expanded, so a
// declaration inside a macro is found too):
//   * `__shared__ T x[N], y[M];`      → `T (&x)[N] = ::sa_shared_variable<T[N]>(site, align); …` (per-block storage)
//   * `extern __shared__ T x[];`      → `T* const x = ::sa_shared_dynamic<T>(align);`
//   * `extern "C" __global__ … f(…)`  → the marker removed, f recorded for the registration block
//   * `__launch_bounds__(n)`          → removed, n recorded as the kernel's thread limit
// Line markers and newlines are preserved, so compiler messages still point at the original lines.
#include "nvrtc_standin.h"
#include "../shim/sa_abi.h"

#include <algorithm>

#include <cctype>
#include <cstdlib>

namespace sa::nvrtc
{
namespace
{
const std::string SharedMarker = "__sa_shared_marker__";
const std::string GlobalMarker = "__sa_global_marker__";
const std::string BoundsMarker = "__sa_launch_bounds__";

bool identifierChar(char c) { return std::isalnum((unsigned char)c) || c == '_'; }

std::string trim(const std::string& s)
{
    size_t a = 0, b = s.size();
    while (a < b && std::isspace((unsigned char)s[a])) ++a;
    while (b > a && std::isspace((unsigned char)s[b - 1])) --b;
    return s.substr(a, b - a);
}

// Index just past the parenthesis matching the one at `open`.
size_t matchParen(const std::string& s, size_t open)
{
    int depth = 0;
    for (size_t i = open; i < s.size(); ++i)
    {
        if (s[i] == '(') ++depth;
        else if (s[i] == ')' && --depth == 0) return i + 1;
    }
    return std::string::npos;
}

// Replaces [a, b) by spaces, keeping newlines.
void blank(std::string& s, size_t a, size_t b)
{
    for (size_t i = a; i < b; ++i)
        if (s[i] != '\n') s[i] = ' ';
}

size_t skipSpace(const std::string& s, size_t i)
{
    while (i < s.size() && std::isspace((unsigned char)s[i])) ++i;
    return i;
}

// The file and line of position `at`, from the most recent line marker (`# 12 "file.cu"`).
struct Location
{
    std::string file;
    int line;
};

Location locate(const std::string& s, size_t at)
{
    Location where{"?", 1};
    size_t i = 0;
    while (i < at)
    {
        size_t lineEnd = s.find('\n', i);
        if (lineEnd == std::string::npos) lineEnd = s.size();
        if (s.compare(i, 2, "# ") == 0 && i + 2 < s.size() && std::isdigit((unsigned char)s[i + 2]))
        {
            where.line = std::atoi(s.c_str() + i + 2); // the number of the line after the marker
            const size_t q1 = s.find('"', i);
            if (q1 != std::string::npos && q1 < lineEnd) where.file = s.substr(q1 + 1, s.find('"', q1 + 1) - q1 - 1);
            i = lineEnd + 1;
            continue;
        }
        if (lineEnd >= at) break;
        where.line++;
        i = lineEnd + 1;
    }
    return where;
}

std::string quote(const std::string& s)
{
    std::string out = "\"";
    for (char c : s)
    {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

// Removes `__attribute__((…))` groups, returning the largest aligned(N) they request ("0" when none).
std::string stripAttributes(std::string& text)
{
    std::string alignment = "0";
    for (size_t at; (at = text.find("__attribute__")) != std::string::npos;)
    {
        const size_t open = text.find('(', at);
        const size_t close = open == std::string::npos ? std::string::npos : matchParen(text, open);
        if (close == std::string::npos) break;
        const std::string body = text.substr(open, close - open);
        const size_t aligned = body.find("aligned");
        if (aligned != std::string::npos)
        {
            const size_t p = body.find('(', aligned);
            const size_t q = p == std::string::npos ? p : matchParen(body, p);
            if (q != std::string::npos) alignment = "(" + body.substr(p + 1, q - p - 2) + ")";
        }
        text.erase(at, close - at);
    }
    return alignment;
}

void removeWord(std::string& text, const std::string& word)
{
    for (size_t at = 0; (at = text.find(word, at)) != std::string::npos;)
    {
        const bool before = at > 0 && identifierChar(text[at - 1]);
        const bool after = at + word.size() < text.size() && identifierChar(text[at + word.size()]);
        if (before || after) { at += word.size(); continue; }
        text.erase(at, word.size());
    }
}

std::vector<std::string> splitTopLevel(const std::string& text)
{
    std::vector<std::string> parts;
    int depth = 0;
    size_t start = 0;
    for (size_t i = 0; i < text.size(); ++i)
    {
        const char c = text[i];
        if (c == '(' || c == '[' || c == '{' || c == '<') ++depth;
        else if (c == ')' || c == ']' || c == '}' || c == '>') --depth;
        else if (c == ',' && depth == 0)
        {
            parts.push_back(text.substr(start, i - start));
            start = i + 1;
        }
    }
    parts.push_back(text.substr(start));
    return parts;
}

// Splits "T name[dims]" (or "name[dims]") into type, name and dims.
bool splitDeclarator(const std::string& text, std::string* type, std::string* name, std::string* dims)
{
    const std::string t = trim(text);
    size_t bracket = std::string::npos;
    int depth = 0;
    for (size_t i = 0; i < t.size(); ++i)
    {
        if (t[i] == '(' || t[i] == '<') ++depth;
        else if (t[i] == ')' || t[i] == '>') --depth;
        else if (t[i] == '[' && depth == 0) { bracket = i; break; }
    }
    const std::string head = trim(bracket == std::string::npos ? t : t.substr(0, bracket));
    *dims = bracket == std::string::npos ? "" : trim(t.substr(bracket));
    size_t end = head.size();
    size_t begin = end;
    while (begin > 0 && identifierChar(head[begin - 1])) --begin;
    if (begin == end) return false;
    *name = head.substr(begin, end - begin);
    *type = trim(head.substr(0, begin));
    return true;
}

bool rewriteShared(std::string& s, size_t marker, int* nextSite, std::vector<SharedSite>& sites, std::string* error)
{
    // The statement around the marker: back to the previous ; { } and forward to the next ; at depth 0.
    size_t start = marker;
    while (start > 0 && s[start - 1] != ';' && s[start - 1] != '{' && s[start - 1] != '}' && s[start - 1] != '\n') --start;
    size_t end = marker;
    int depth = 0;
    for (; end < s.size(); ++end)
    {
        if (s[end] == '(' || s[end] == '[') ++depth;
        else if (s[end] == ')' || s[end] == ']') --depth;
        else if (s[end] == ';' && depth == 0) break;
    }
    if (end >= s.size())
    {
        *error = "a __shared__ declaration without a terminating ';'";
        return false;
    }
    const Location where = locate(s, marker);
    std::string text = s.substr(start, end - start);
    const int newlines = (int)std::count(text.begin(), text.end(), '\n');
    const bool dynamic = text.find("extern") != std::string::npos;
    text.erase(text.find(SharedMarker), SharedMarker.size());
    removeWord(text, "extern");
    removeWord(text, "static");
    const std::string alignment = stripAttributes(text);
    const std::vector<std::string> declarators = splitTopLevel(text);
    std::string type, name, dims, out;
    if (!splitDeclarator(declarators[0], &type, &name, &dims) || type.empty())
    {
        *error = where.file + ":" + std::to_string(where.line) + ": cannot read the __shared__ declaration '" + trim(text) + "'";
        return false;
    }
    for (size_t d = 0; d < declarators.size(); ++d)
    {
        std::string unusedType;
        if (d > 0 && !splitDeclarator(declarators[d], &unusedType, &name, &dims))
        {
            *error = where.file + ":" + std::to_string(where.line) + ": cannot read the __shared__ declarator '" + trim(declarators[d]) + "'";
            return false;
        }
        if (dynamic)
        {
            if (dims != "[]")
            {
                *error = where.file + ":" + std::to_string(where.line) + ": extern __shared__ " + name + " must be an unsized array";
                return false;
            }
            out += type + "* const " + name + " = ::sa_shared_dynamic<" + type + ">(" + alignment + "); ";
        }
        else
        {
            const int site = (*nextSite)++;
            sites.push_back(SharedSite{name, where.file, where.line});
            out += type + " (&" + name + ")" + dims + " = ::sa_shared_variable<" + type + dims + ">(" + std::to_string(site) + ", " +
                   alignment + ");";
        }
    }
    if (!out.empty() && out.back() == ';') out.pop_back(); // the original ';' stays
    out.append(newlines, '\n');
    s.replace(start, end - start, out);
    return true;
}
} // namespace

Transformed transform(const std::string& preprocessed)
{
    Transformed result;
    std::string s = preprocessed;
    int nextSite = 0;
    for (size_t at = 0; (at = s.find(SharedMarker, at)) != std::string::npos;)
        if (!rewriteShared(s, at, &nextSite, result.sites, &result.error)) return result;

    for (size_t at = 0; (at = s.find(GlobalMarker, at)) != std::string::npos;)
    {
        // extern "C" before the marker?
        size_t back = at;
        while (back > 0 && std::isspace((unsigned char)s[back - 1])) --back;
        bool externC = back >= 3 && s.compare(back - 3, 3, "\"C\"") == 0;
        blank(s, at, at + GlobalMarker.size());
        std::string bounds = "0";
        size_t i = at + GlobalMarker.size();
        std::string name;
        for (int guard = 0; guard < 64; ++guard)
        {
            i = skipSpace(s, i);
            if (s.compare(i, BoundsMarker.size(), BoundsMarker) == 0)
            {
                const size_t open = s.find('(', i);
                const size_t close = matchParen(s, open);
                bounds = "(" + s.substr(open + 1, close - open - 2) + ")";
                blank(s, i, close);
                i = close;
                continue;
            }
            if (s.compare(i, 13, "__attribute__") == 0)
            {
                i = matchParen(s, s.find('(', i));
                continue;
            }
            size_t j = i;
            while (j < s.size() && identifierChar(s[j])) ++j;
            if (j == i) break;
            const std::string word = s.substr(i, j - i);
            const size_t next = skipSpace(s, j);
            if (next < s.size() && s[next] == '(' && word != "void")
            {
                name = word;
                break;
            }
            i = j;
        }
        if (externC && !name.empty()) result.kernels.push_back(Kernel{name, bounds});
    }
    for (size_t at = 0; (at = s.find(BoundsMarker, at)) != std::string::npos;)
        blank(s, at, matchParen(s, s.find('(', at)));

    // The registration block: already preprocessed text, since the compile that follows does not run the preprocessor.
    std::string block = "\n# 1 \"<stand-in registration>\"\nconst SaRuntimeApi* sa_api = nullptr;\n";
    block += "static const SaKernelEntry sa_kernel_table[] = {";
    for (const Kernel& k : result.kernels) block += "\n ::sa::entry(" + quote(k.name) + ", &" + k.name + ", (unsigned)" + k.maxThreads + "),";
    if (result.kernels.empty()) block += " SaKernelEntry{}";
    block += "\n};\nstatic const SaSharedSite sa_shared_site_table[] = {";
    for (const SharedSite& site : result.sites)
        block += "\n {" + quote(site.name) + ", " + quote(site.file) + ", " + std::to_string(site.line) + "},";
    if (result.sites.empty()) block += " SaSharedSite{nullptr, nullptr, 0}";
    block += "\n};\nextern \"C\" __attribute__((visibility(\"default\"), no_sanitize_address, no_sanitize(\"alignment\"))) int sa_module_init(const SaRuntimeApi* api, SaModuleInfo* info)\n{\n";
    block += "    if (api->abi_version != " + std::to_string(SA_ABI_VERSION) + "u) return 1;\n";
    // A copy inside the module: kernel code reads the table through checked loads, which allow the module's own memory.
    block += "    static SaRuntimeApi copy;\n    copy = *api;\n    sa_api = &copy;\n    info->abi_version = api->abi_version;\n";
    block += "    info->kernel_count = " + std::to_string(result.kernels.size()) + "u;\n    info->kernels = sa_kernel_table;\n";
    block += "    info->shared_site_count = " + std::to_string(result.sites.size()) + "u;\n    info->shared_sites = sa_shared_site_table;\n";
    block += "    return 0;\n}\n";
    result.text = s + block;
    return result;
}
} // namespace sa::nvrtc
