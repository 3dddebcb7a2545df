package bench

import (
	"database/sql/driver"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// A replay is a captured transaction as pgbench sends it: each argument is a variable
// that the script sets from a target, a constant, or NULL.
type replay [][]replayStatement

type replayStatement struct {
	sql    string
	params []param
}

type param struct {
	variable string // one of replayVariables, or "" for a constant
	constant string
	null     bool
}

// compile turns a transaction captured for probe into a replay (see compileArg).
func compile(tx Transaction, probe Target) (replay, error) {
	values := probe.replayValues()
	var out replay
	for _, trip := range tx {
		var stmts []replayStatement
		for _, s := range trip {
			rs := replayStatement{sql: s.SQL}
			for i, arg := range s.Args {
				p, err := compileArg(arg, values)
				if err != nil {
					return nil, fmt.Errorf("argument $%d of %s: %w", i+1, statementName(s.SQL), err)
				}
				rs.params = append(rs.params, p)
			}
			stmts = append(stmts, rs)
		}
		out = append(out, stmts)
	}
	return out, nil
}

// compileArg makes an argument equal to one of the probe's values that variable, and
// anything else a constant. A constant that holds one of the probe's ids would pin
// every replayed transaction to the probe's tenant while the claims vary — reading
// nothing, fast — so it is an error.
func compileArg(arg any, probeValues map[string]string) (param, error) {
	text, null, err := argText(arg)
	if err != nil || null {
		return param{null: null}, err
	}
	for _, name := range replayVariables {
		if text == probeValues[name] {
			return param{variable: name}, nil
		}
	}
	for _, name := range []string{"tenant_id", "user_id", "contact_id", "conversation_id"} {
		if strings.Contains(text, probeValues[name]) {
			return param{}, fmt.Errorf("holds the probe's %s but is not it (%.80q): teach replayVariables this value", name, text)
		}
	}
	return param{constant: text}, nil
}

// argText is an argument as pgbench passes it: text, which PostgreSQL parses as the type
// the statement gives the parameter. null reports SQL NULL (a nil pointer or slice).
func argText(arg any) (text string, null bool, err error) {
	rv := reflect.ValueOf(arg)
	switch {
	case !rv.IsValid(), (rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Slice) && rv.IsNil():
		return "", true, nil // pgx sends nil pointers and nil slices as NULL
	case rv.Kind() == reflect.Pointer:
		return argText(rv.Elem().Interface())
	case rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() == reflect.Uint8:
		return string(rv.Bytes()), false, nil // []byte, json.RawMessage
	}
	switch v := arg.(type) {
	case time.Time:
		return v.Format(time.RFC3339Nano), false, nil
	case driver.Valuer:
		value, err := v.Value()
		if err != nil {
			return "", false, err
		}
		return argText(value)
	case fmt.Stringer:
		return v.String(), false, nil
	}
	switch rv.Kind() {
	case reflect.String:
		return rv.String(), false, nil
	case reflect.Bool:
		return strconv.FormatBool(rv.Bool()), false, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10), false, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(rv.Uint(), 10), false, nil
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(rv.Float(), 'g', -1, 64), false, nil
	}
	return "", false, fmt.Errorf("cannot replay a %T", arg)
}

// statementName is the sqlc query a statement is (its "-- name: X" line), or its text.
func statementName(sql string) string {
	if m := queryName.FindStringSubmatch(sql); m != nil {
		return m[1]
	}
	return fmt.Sprintf("%.60q", strings.TrimSpace(sql))
}

var queryName = regexp.MustCompile(`^-- name: (\w+)`)

// statements are the replay's statements in order, whatever their round trips.
func (r replay) statements() []replayStatement {
	var all []replayStatement
	for _, trip := range r {
		all = append(all, trip...)
	}
	return all
}

// endpointPart is what the endpoint itself runs: the replay without the statements every
// read endpoint's transaction shares at its start and end (begin, the role switch, the
// caller lookup … commit), each statement a round trip of its own.
func (r replay) endpointPart(all []replay) replay {
	stmts := r.statements()
	head, tail := len(stmts), len(stmts)
	for _, other := range all {
		o := other.statements()
		head = min(head, sharedLength(len(stmts), len(o), func(i int) (string, string) { return stmts[i].sql, o[i].sql }))
		tail = min(tail, sharedLength(len(stmts), len(o), func(i int) (string, string) {
			return stmts[len(stmts)-1-i].sql, o[len(o)-1-i].sql
		}))
	}
	var part replay
	for _, s := range stmts[head:max(head, len(stmts)-tail)] {
		part = append(part, []replayStatement{s})
	}
	return part
}

// sharedLength is how many leading pairs of two sequences are equal.
func sharedLength(a, b int, pair func(int) (string, string)) int {
	n := 0
	for n < min(a, b) {
		if x, y := pair(n); x != y {
			break
		}
		n++
	}
	return n
}

// asRole is the replay with the role switch (set_config('role', …)) to role instead of
// authenticated; ok is false when the replay has no such switch.
func (r replay) asRole(role string) (out replay, ok bool) {
	for _, trip := range r {
		var stmts []replayStatement
		for _, s := range trip {
			if strings.Contains(s.sql, "set_config('role'") {
				s.params = append([]param(nil), s.params...)
				for i, p := range s.params {
					if p.variable == "" && !p.null && p.constant == "authenticated" {
						s.params[i].constant, ok = role, true
					}
				}
				if strings.Contains(s.sql, "'authenticated'") {
					s.sql, ok = strings.ReplaceAll(s.sql, "'authenticated'", "'"+role+"'"), true
				}
			}
			stmts = append(stmts, s)
		}
		out = append(out, stmts)
	}
	return out, ok
}

// lookupEvery is how many transactions a pgbench client runs with one target before it
// draws the next. Drawing costs a round trip of its own (bench.targets), which the server
// does not make: once per lookupEvery transactions it is noise (well under 1 %), while
// 32 clients still cycle through thousands of targets in a run.
const lookupEvery = 32

// sqlNull names a variable no script sets. In prepared mode pgbench binds an unset
// variable as SQL NULL, the one way to pass a NULL parameter; keeping NULL a parameter,
// rather than writing it into the text, keeps the plans (custom or generic) the server's.
const sqlNull = "sql_null"

// script renders the replay as a pgbench script that draws a target of kind among count
// (bench.targets) every lookupEvery transactions, with the -D definitions it needs
// (constants, and the transaction counter).
func (r replay) script(kind string, count int) (text string, defines map[string]string) {
	defines = map[string]string{"tx": "0"}
	var b strings.Builder
	fmt.Fprintf(&b, "\\set tx :tx + 1\n\\if :tx %% %d = 1\n\\set n random(1, %d)\n", lookupEvery, count)
	fmt.Fprintf(&b, "select %s from bench.targets where kind = '%s' and n = :n \\gset\n\\endif\n",
		strings.Join(replayVariables, ", "), kind)
	for _, trip := range r {
		if len(trip) > 1 {
			b.WriteString("\\startpipeline\n")
		}
		for _, s := range trip {
			b.WriteString(s.pgbenchSQL(defines))
			b.WriteString(";\n")
		}
		if len(trip) > 1 {
			b.WriteString("\\endpipeline\n")
		}
	}
	return b.String(), defines
}

var placeholder = regexp.MustCompile(`\$(\d+)`)

// pgbenchSQL is the statement with its placeholders as pgbench variables: $n becomes
// :tenant_id, :sql_null or a constant's variable, which defines gets. sqlc's "-- name:"
// line goes: pgbench would read its ":one" as a variable.
func (s replayStatement) pgbenchSQL(defines map[string]string) string {
	sql := strings.TrimSpace(s.sql)
	if strings.HasPrefix(sql, "-- name:") {
		_, sql, _ = strings.Cut(sql, "\n")
	}
	sql = strings.TrimSuffix(strings.TrimSpace(sql), ";")
	constants := map[int]string{} // a parameter used twice is one variable
	return placeholder.ReplaceAllStringFunc(sql, func(ph string) string {
		n, _ := strconv.Atoi(ph[1:])
		if n < 1 || n > len(s.params) {
			return ph
		}
		p := s.params[n-1]
		switch {
		case p.null:
			return ":" + sqlNull
		case p.variable != "":
			return ":" + p.variable
		}
		if constants[n] == "" {
			constants[n] = fmt.Sprintf("c%d", len(defines))
			defines[constants[n]] = p.constant
		}
		return ":" + constants[n]
	})
}
