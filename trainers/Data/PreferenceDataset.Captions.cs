using System.Text.Json;

namespace StyleAlign.Trainers.Data;

public sealed partial class PreferenceDataset
{
    /// <summary>
    /// Reads a caption file (<c>{"id","image","factual","styles":{style: caption, …}}</c> a line, optional
    /// "split") and expands each line into one preference pair per style: chosen = the stylized caption,
    /// rejected = the factual one, prompt = <see cref="StylePrompts.For"/>. Pair ids are "{id}-{style}".
    /// </summary>
    /// <param name="style">Expand only this style; null expands every style of each line.</param>
    /// <param name="split">Keep only lines whose "split" equals this; null keeps all.</param>
    public static PreferenceDataset ExpandCaptions(string captionsPath, string? style = null, string? split = null,
        DataLoadOptions? options = null)
    {
        // The style filter is this method's own argument; the option's filter would be ambiguous here.
        options = (options ?? DataLoadOptions.Preference) with { Style = null };
        string[] filters = [.. new[] { style is null ? null : $"style '{style}'", split is null ? null : $"split '{split}'" }.OfType<string>()];
        string? filter = filters.Length == 0 ? null : string.Join(" and ", filters);
        return ReadLines(captionsPath, options, filter, (root, context) =>
        {
            string id = context.RequiredString(root, "id");
            string image = context.RequiredString(root, "image");
            string factual = context.RequiredString(root, "factual");
            string? lineSplit = context.OptionalString(root, "split");
            JsonElement styles = context.RequiredObject(root, "styles");
            if (split is not null && lineSplit != split) return [];

            string imagePath = context.ResolveImage(image);
            var pairs = new List<PreferenceExample>();
            foreach (var property in styles.EnumerateObject())
            {
                string caption = context.NonEmptyString(property.Value, $"styles.{property.Name}");
                if (style is not null && property.Name != style) continue;
                pairs.Add(new PreferenceExample($"{id}-{property.Name}", imagePath, StylePrompts.For(property.Name),
                    caption, factual, property.Name, context.LineNumber, context.FilePath));
            }
            if (style is not null && pairs.Count == 0)
                throw context.Error($"no caption for style '{style}' in 'styles'");
            return pairs;
        });
    }
}
