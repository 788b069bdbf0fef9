#!/usr/bin/env python3
"""sql-check - every SQL statement in the C sources is a string literal
with $N parameters, never text built from data (issue 7).

Scans lib/, daemon/, cli/, workers/ and tests/tools/ for calls that take
SQL text (libpq's and our wrappers') and checks that the SQL argument is
a string literal (adjacent literals and macros of literals included), or
one of the few names listed in ALLOWED with the reason it is safe. Also
refuses printf-style formatting of text that looks like SQL. Prints each
finding as FILE:LINE: what, and "N calls checked, M findings".
usage: tests/sql-check.py [ROOT]
"""
import os, re, sys

# function -> index of its SQL argument
CALLS = {"PQexec": 1, "PQexecParams": 1, "PQsendQuery": 1,
         "PQsendQueryParams": 1, "PQprepare": 2, "PQsendPrepare": 2,
         "ws_db_exec": 1, "s_exec": 1, "s_command": 1, "s_send": -1}
# (file, argument text) -> why it is not text built from data
ALLOWED = {
    ("daemon/ws_db.c", "sql"): "a wrapper forwarding its own SQL parameter; "
                               "its callers are checked here",
    ("daemon/ws_db.c", "sql->find"): "s_upsert_t: static tables of literals",
    ("daemon/ws_db.c", "sql_text"): "s_upsert_t: static tables of literals",
    ("lib/ws_migrate.c", "sql"): "a wrapper forwarding its own SQL parameter",
    ("lib/ws_migrate.c", "file->text"): "the migrations compiled in from sql/",
}
SQLISH = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP)\b.*%[-0-9.]*[sdfgl]")
PRINTF = re.compile(r"\b(s?n?printf|ws_buf_printf|dprintf|asprintf)\s*\(")


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def args_of(text, start):
    """Split the argument list that opens at text[start] == '('."""
    depth, i, current, args = 0, start, [], []
    in_str = None
    while i < len(text):
        c = text[i]
        if in_str:
            current.append(c)
            if c == "\\":
                current.append(text[i + 1]); i += 2; continue
            if c == in_str:
                in_str = None
        elif c in "\"'":
            in_str = c; current.append(c)
        elif c == "(":
            depth += 1
            if depth > 1:
                current.append(c)
        elif c == ")":
            depth -= 1
            if depth == 0:
                args.append("".join(current).strip())
                return args
            current.append(c)
        elif c == "," and depth == 1:
            args.append("".join(current).strip()); current = []
        else:
            current.append(c)
        i += 1
    return args


def literal(arg):
    # adjacent string literals, possibly with macro names between them
    # (S_ALERT_COLUMNS): upper-case identifiers only.
    rest = re.sub(r'"(\\.|[^"\\])*"', "", arg)
    return '"' in arg and re.fullmatch(r"[\sA-Z0-9_]*", rest) is not None


def split_choice(arg):
    # "cond ? a : b" at the top level (outside parentheses and strings)
    # -> (a, b); None if arg is not a conditional.
    depth, quest, i = 0, -1, 0
    while i < len(arg):
        c = arg[i]
        if c == '"':
            i += 1
            while i < len(arg) and arg[i] != '"':
                i += 2 if arg[i] == "\\" else 1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif depth == 0 and c == "?" and quest < 0:
            quest = i
        elif depth == 0 and c == ":" and quest >= 0:
            return arg[quest + 1:i], arg[i + 1:]
        i += 1
    return None


def closing(arg):
    # index of the parenthesis closing the one at arg[0]
    depth = 0
    for i, c in enumerate(arg):
        depth += (c == "(") - (c == ")")
        if depth == 0:
            return i
    return -1


def constant(arg):
    # a literal, or a conditional choosing between constants: which
    # statement runs may depend on data, the text of none does.
    arg = arg.strip()
    while arg.startswith("(") and arg.endswith(")") and closing(arg) == len(arg) - 1:
        arg = arg[1:-1].strip()
    choice = split_choice(arg)
    if choice:
        return constant(choice[0]) and constant(choice[1])
    return literal(arg) or re.fullmatch(r"S_[A-Z0-9_]+", arg) is not None


def self_test():
    """The checker must find what it is for: run it on a tree with one
    string-built statement and one printf-built one."""
    import tempfile
    with tempfile.TemporaryDirectory() as root:
        os.makedirs(os.path.join(root, "daemon"))
        with open(os.path.join(root, "daemon", "bad.c"), "w") as f:
            f.write('void f (ws_db_t *db, const char *name) {\n'
                    '    char sql[200];\n'
                    '    snprintf (sql, sizeof sql, "SELECT * FROM goals WHERE name = \'%s\'", name);\n'
                    '    PGresult *r = ws_db_exec (db, sql, 0, NULL, PGRES_TUPLES_OK, "x", NULL);\n'
                    '    r = ws_db_exec (db, "SELECT 1 WHERE $1", 1, p, PGRES_TUPLES_OK, "x", NULL);\n'
                    '    r = ws_db_exec (db, name ? S_ONE : sql, 0, NULL, PGRES_TUPLES_OK, "x", NULL);\n'
                    '}\n')
        found = scan(root)[1]
    want = ["daemon/bad.c:3: SQL formatted with printf", "daemon/bad.c:4: ws_db_exec",
            "daemon/bad.c:6: ws_db_exec"]
    ok = len(found) == 3 and all(f.startswith(w) for f, w in zip(sorted(found), want))
    print("self-test: %s (%d findings in the planted file)" % ("ok" if ok else "FAILED", len(found)))
    return ok


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    if not self_test():
        sys.exit(1)
    checked, findings = scan(root)
    for f in findings:
        print(f)
    print("%d calls checked, %d findings" % (checked, len(findings)))
    sys.exit(1 if findings else 0)


def scan(root):
    checked, findings = 0, []
    for top in ("lib", "daemon", "cli", "workers", "tests/tools"):
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for name in sorted(files):
                if not name.endswith(".c"):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, root)
                text = strip_comments(open(path, encoding="utf-8").read())
                for m in re.finditer(r"\b(%s)\s*\(" % "|".join(CALLS), text):
                    func, index = m.group(1), CALLS[m.group(1)]
                    if index < 0:
                        continue
                    line = text.count("\n", 0, m.start()) + 1
                    # a definition or declaration, not a call
                    before = text[max(0, m.start() - 40):m.start()]
                    if re.search(r"(\*|\b(static|int|void|PGresult|json_t))\s*\n?\s*$", before) \
                            and not re.search(r"[=(,]\s*$", before):
                        continue
                    args = args_of(text, m.end() - 1)
                    if len(args) <= index:
                        continue
                    checked += 1
                    arg = args[index]
                    if constant(arg) or (rel, arg) in ALLOWED:
                        continue
                    findings.append("%s:%d: %s: SQL argument is not a literal: %s"
                                    % (rel, line, func, arg[:80]))
                for m in PRINTF.finditer(text):
                    args = args_of(text, m.end() - 1)
                    for arg in args:
                        for lit in re.findall(r'"((?:\\.|[^"\\])*)"', arg):
                            if SQLISH.search(lit):
                                line = text.count("\n", 0, m.start()) + 1
                                findings.append("%s:%d: SQL formatted with printf: %s"
                                                % (rel, line, lit[:80]))
    return checked, findings


if __name__ == "__main__":
    main()
