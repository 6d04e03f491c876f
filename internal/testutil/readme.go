package testutil

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// READMESection returns the text of the README at path under heading (a
// whole line, "### `--json` fields") up to the next "## " heading, failing
// the test when there is none.
func READMESection(tb testing.TB, path, heading string) string {
	tb.Helper()
	readme, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	section := regexp.MustCompile("(?s)" + regexp.QuoteMeta(heading) + "\n(.*?)\n## ").FindSubmatch(readme)
	if section == nil {
		tb.Fatalf("%s has no section %q", path, heading)
	}
	return string(section[1])
}

var quoted, name = regexp.MustCompile("`([^`]*)`"), regexp.MustCompile(`^[a-z_]+$`)

// Names returns the lower-case names in backquotes in text, one by one or
// in comma-separated lists ("`a, b_c`" gives a and b_c): the fields that a
// README documents.
func Names(text string) []string {
	var names []string
	for _, q := range quoted.FindAllStringSubmatch(text, -1) {
		for _, f := range strings.Split(q[1], ",") {
			if f = strings.TrimSpace(f); name.MatchString(f) {
				names = append(names, f)
			}
		}
	}
	return names
}
