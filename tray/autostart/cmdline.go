package autostart

import "strings"

// windowsCommandLine joins a command into the single string the Run key holds. The program is
// always in double quotes (a path with spaces would otherwise be split, or resolve to
// C:\Program.exe); arguments are quoted as CommandLineToArgvW and the C runtime parse them:
// backslashes are literal except before a double quote, where each one is doubled and the
// quote escaped.
func windowsCommandLine(command []string) string {
	parts := []string{`"` + command[0] + `"`}
	for _, arg := range command[1:] {
		parts = append(parts, windowsQuote(arg))
	}
	return strings.Join(parts, " ")
}

func windowsQuote(arg string) string {
	if arg != "" && !strings.ContainsAny(arg, " \t\"") {
		return arg
	}
	var b strings.Builder
	b.WriteByte('"')
	slashes := 0
	for i := 0; i < len(arg); i++ {
		switch c := arg[i]; c {
		case '\\':
			slashes++
		case '"':
			b.WriteString(strings.Repeat(`\`, 2*slashes+1))
			b.WriteByte('"')
			slashes = 0
		default:
			b.WriteString(strings.Repeat(`\`, slashes))
			slashes = 0
			b.WriteByte(c)
		}
	}
	b.WriteString(strings.Repeat(`\`, 2*slashes)) // before the closing quote
	b.WriteByte('"')
	return b.String()
}
