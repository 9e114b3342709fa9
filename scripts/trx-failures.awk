# Prints each failed test of a .trx file with the first lines of its message: CI keeps only
# the tail of a long log, and a fixture's failure (one cause, many tests) must show there.
#   awk -v project=NAME -f scripts/trx-failures.awk FILE.trx
function unescape(s) {
  gsub(/&lt;/, "<", s); gsub(/&gt;/, ">", s); gsub(/&quot;/, "\"", s); gsub(/&apos;/, "'", s)
  gsub(/&#xD;/, "", s); gsub(/&#xA;/, "\n", s); gsub(/&amp;/, "\\&", s)
  return s
}
function flush() {
  if (name == "") return
  printf "  %s: %s\n", project, unescape(name)
  if (message == "") {
    print "      (no message)"
  } else if (message in seen) {
    printf "      (same message as %s)\n", seen[message]
  } else {
    seen[message] = unescape(name)
    n = split(unescape(message), lines, "\n")
    for (i = 1; i <= n && i <= 20; i++) printf "      %s\n", lines[i]
    if (n > 20) printf "      ... (%d more lines in the .trx)\n", n - 20
  }
  name = ""; message = ""
}
/<UnitTestResult / {
  flush()
  if ($0 ~ /outcome="Failed"/ && match($0, /testName="[^"]*"/)) name = substr($0, RSTART + 10, RLENGTH - 11)
}
name != "" && /<Message>/ { capturing = 1; sub(/.*<Message>/, "") }
capturing {
  line = $0
  done = sub(/<\/Message>.*/, "", line)
  message = message (message == "" ? "" : "\n") line
  if (done) capturing = 0
}
END { flush() }
