using System.Text;

namespace Playground.Cli;

/// <summary>The program to send: one file, a directory's Go files and go.mod, or stdin.</summary>
internal static class Sources
{
    /// <summary>File name to content. Throws <see cref="FileNotFoundException"/> or <see cref="IOException"/> with a message for the user.</summary>
    public static async Task<SortedDictionary<string, string>> LoadAsync(string path, TextReader stdin)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (path == "-")
        {
            files["prog.go"] = await stdin.ReadToEndAsync().ConfigureAwait(false);
            return files;
        }

        if (Directory.Exists(path))
        {
            foreach (var file in Directory.EnumerateFiles(path))
            {
                var name = Path.GetFileName(file);
                if ((name.EndsWith(".go", StringComparison.Ordinal) && !name.StartsWith('.')) || name is "go.mod" or "go.sum")
                {
                    files[name] = await File.ReadAllTextAsync(file).ConfigureAwait(false);
                }
            }

            if (!files.Keys.Any(n => n.EndsWith(".go", StringComparison.Ordinal)))
            {
                throw new FileNotFoundException($"{path}: no .go files in this directory");
            }

            return files;
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: no such file or directory");
        }

        var text = await File.ReadAllTextAsync(path).ConfigureAwait(false);
        // A script (#!/usr/bin/env goplay): Go does not accept the #! line; an empty line keeps
        // the line numbers of errors right.
        if (text.StartsWith("#!", StringComparison.Ordinal))
        {
            var end = text.IndexOf('\n', StringComparison.Ordinal);
            text = end < 0 ? "" : text[end..];
        }

        // Whatever the file is called (a script may have no extension), it is the program.
        files["prog.go"] = text;
        return files;
    }

    /// <summary>The files as one text: plain Go for a lone prog.go, txtar otherwise (go.dev's share format).</summary>
    public static string ToText(IReadOnlyDictionary<string, string> files)
    {
        if (files.Count == 1 && files.ContainsKey("prog.go"))
        {
            return files["prog.go"];
        }

        var text = new StringBuilder();
        foreach (var (name, content) in files.OrderBy(f => f.Key == "prog.go" ? 0 : 1).ThenBy(f => f.Key, StringComparer.Ordinal))
        {
            text.Append("-- ").Append(name).Append(" --\n").Append(content);
            if (content.Length > 0 && !content.EndsWith('\n'))
            {
                text.Append('\n');
            }
        }

        return text.ToString();
    }
}
