namespace StyleAlign.Engine.IO.Tokenizers;

/// <summary>The small English text the built-in tiny tokenizers learn their merges from: the chat template's
/// fixed words and captions of the synthetic shape images, factual and stylized.</summary>
internal static class TinyCorpus
{
    public static readonly string[] Lines =
    [
        "system", "user", "assistant", "You are a helpful assistant.",
        "Describe the image.", "Describe this image in one sentence.", "Write a caption for the picture.",
        "What is in the picture?", "Write a funny caption.", "Write a romantic caption.",
        "A red circle on the left.", "A blue square on the right.", "A green triangle in the middle.",
        "A yellow star at the top.", "An orange heart at the bottom.", "A purple circle next to a blue square.",
        "Two red circles and one green square.", "Three small blue triangles in a row.",
        "A big white square on a black background.", "A small black circle on a white background.",
        "The red circle is above the blue square.", "The green triangle is below the yellow star.",
        "There is a large pink heart in the center of the image.",
        "The picture shows a circle, a square and a triangle.",
        "A circle and a square side by side.", "The shapes are red, green and blue.",
        "This circle is so round it rolls away laughing.", "The square looks bored of its four corners.",
        "A triangle tries to stand on its point and falls over.", "Funny little shapes having a party.",
        "The blue square tells a silly joke to the red circle.", "Even the star laughs at this funny picture.",
        "Two hearts in love under the stars.", "A red heart full of love for the blue circle.",
        "The circle and the square share a sweet romantic moment.", "My heart beats for you, little triangle.",
        "A romantic evening with a pink heart and a golden star.", "Love is a circle that never ends.",
        "A lovely, warm and tender picture of two hearts.", "Happy shapes dance together in the light.",
        "One, two, three, four, five: 1 2 3 4 5 6 7 8 9 0.", "Left, right, top, bottom, center, corner.",
        "It's a circle; it's not a square! Isn't that funny? Yes, I'd say so.",
        "colors: red, orange, yellow, green, blue, purple, pink, brown, grey, white, black.",
    ];
}
