using System.Globalization;
using System.Text;

namespace Playground.Sandbox.Runs;

/// <summary>Go's <c>%q</c> for a string, so messages that name a file read as upstream's do.</summary>
internal static class GoString
{
    /// <summary>
    /// strconv.Quote: double quotes; <c>\"</c> and <c>\\</c>; <c>\a \b \f \n \r \t \v</c>;
    /// other bytes below a space and DEL as <c>\x1f</c>; other characters Go does not print
    /// as <c>\u00a0</c> or <c>\U0001f600</c>; the rest as they are.
    /// </summary>
    public static string Quote(string s)
    {
        var sb = new StringBuilder(s.Length + 2).Append('"');
        foreach (var rune in s.EnumerateRunes())
        {
            var r = rune.Value;
            switch (r)
            {
                case '"':
                    sb.Append("\\\"");
                    break;
                case '\\':
                    sb.Append("\\\\");
                    break;
                case '\a':
                    sb.Append("\\a");
                    break;
                case '\b':
                    sb.Append("\\b");
                    break;
                case '\f':
                    sb.Append("\\f");
                    break;
                case '\n':
                    sb.Append("\\n");
                    break;
                case '\r':
                    sb.Append("\\r");
                    break;
                case '\t':
                    sb.Append("\\t");
                    break;
                case '\v':
                    sb.Append("\\v");
                    break;
                case < ' ' or 0x7f:
                    sb.Append(CultureInfo.InvariantCulture, $"\\x{r:x2}");
                    break;
                case var _ when IsPrint(rune):
                    sb.Append(rune.ToString());
                    break;
                case < 0x10000:
                    sb.Append(CultureInfo.InvariantCulture, $"\\u{r:x4}");
                    break;
                default:
                    sb.Append(CultureInfo.InvariantCulture, $"\\U{r:x8}");
                    break;
            }
        }

        return sb.Append('"').ToString();
    }

    // unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
    // A lone surrogate (EnumerateRunes yields U+FFFD for it) is printed as Go prints U+FFFD.
    private static bool IsPrint(Rune rune) => rune.Value == ' ' || Rune.GetUnicodeCategory(rune) switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter
            or UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark
            or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber
            or UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
            or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation or UnicodeCategory.FinalQuotePunctuation
            or UnicodeCategory.OtherPunctuation
            or UnicodeCategory.MathSymbol or UnicodeCategory.CurrencySymbol or UnicodeCategory.ModifierSymbol or UnicodeCategory.OtherSymbol => true,
        _ => false,
    };
}
