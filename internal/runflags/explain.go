package runflags

import (
	"regexp"
	"strings"

	"github.com/spf13/pflag"
)

// pflag's words for a value it could not parse: `invalid argument "V" for
// "-s, --name" flag: DETAIL`.
var invalidArgument = regexp.MustCompile(`^invalid argument "(.*)" for "(?:-\w, )?--([\w-]+)" flag: (.*)$`)

// Explain turns an error of fs.Parse into a one-line usage error for the
// command cmd: a value that does not parse says what the flag wants, and
// a misspelt flag is answered with the nearest one ("did you mean
// --feedrate?").
func Explain(cmd string, fs *pflag.FlagSet, err error) error {
	msg := err.Error()
	if m := invalidArgument.FindStringSubmatch(msg); m != nil {
		return Usagef("--%s %s: %s", m[2], m[1], wants(m[3]))
	}
	if name, ok := strings.CutPrefix(msg, "unknown flag: --"); ok {
		if near := nearestFlag(fs, name); near != "" {
			return Usagef("%s: unknown flag: --%s (did you mean --%s?)", cmd, name, near)
		}
	}
	return Usagef("%s: %s", cmd, msg)
}

// wants rephrases Go's parser detail as what the flag takes.
func wants(detail string) string {
	switch {
	case strings.Contains(detail, "strconv.ParseInt"), strings.Contains(detail, "strconv.Atoi"):
		return "want an integer"
	case strings.Contains(detail, "strconv.ParseFloat"):
		return "want a number"
	case strings.Contains(detail, "strconv.ParseBool"):
		return "want true or false"
	case strings.HasPrefix(detail, "time: "):
		return "want a duration with a unit, e.g. 1s or 500ms"
	}
	return detail
}

// nearestFlag is the flag of fs whose name is closest to name, within
// two edits (or one for short names), or "".
func nearestFlag(fs *pflag.FlagSet, name string) string {
	best, bestD := "", 3
	if len(name) <= 4 {
		bestD = 2
	}
	fs.VisitAll(func(f *pflag.Flag) {
		if d := editDistance(name, f.Name); d < bestD {
			best, bestD = f.Name, d
		}
	})
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
