#!/usr/bin/env python3
"""Kconfig driver: a Kconfig tree and defconfig fragments in, resolved values as JSON out.

Owns the use of kconfiglib (Debian's python3-kconfiglib) for toolchain/config/kconfig.ts:
parsing the Kconfig tree, applying fragments in order, evaluating types, ranges, defaults,
choices and dependencies, and writing `.config`, `autoconf.h` and minimal configurations.
The TypeScript side turns the structured problems printed here into messages.

Protocol: one JSON request on stdin, one JSON reply on stdout, exit status 0 (even when
the fragments have problems: they are data, not failures of the driver).
  request: {"kconfig": ROOT, "fragments": [{"name": SHOWN, "text": TEXT}, ...],
            "outputs": ["config", "autoconf", "minconfig"]}
  reply:   {"ok": true, "symbols": [...], "problems": [...], "warnings": [...],
            "outputs": {"config": TEXT, ...}}   (outputs only when there is no problem)
       or  {"ok": false, "error": TEXT}        (the tree itself does not load)

Invariants:
- Fragments are read strictly, more strictly than kconfiglib alone: every line is blank, a
  comment, `CONFIG_NAME=value` or `# CONFIG_NAME is not set`; bools are exactly y or n;
  ints are decimal; hex values carry 0x (kconfiglib would read 8192 as 0x8192); strings
  are quoted without escapes. Only assignments that pass are handed to kconfiglib, on
  their original line numbers, so kconfiglib's own warnings point at the same lines.
- Every problem names the fragment and line it comes from (choice conflicts name the
  fragment). Range checks use the range kconfiglib finds active once every fragment is in.
- Later fragments override earlier ones; within one fragment a symbol is set once.
- Nothing is written anywhere but a private temporary directory, removed before exit.
"""

import json
import os
import re
import shutil
import sys
import tempfile

try:
    import kconfiglib
except ImportError:
    sys.stdout.buffer.write(json.dumps({"ok": False, "error": "missing-kconfiglib"}).encode("utf-8"))
    sys.exit(0)

ASSIGN = re.compile(r"^(CONFIG_[A-Za-z0-9_]+)\s*=\s*(.*)$")
NOT_SET = re.compile(r"^#\s*(CONFIG_[A-Za-z0-9_]+) is not set$")
DECIMAL = re.compile(r"^-?[0-9]+$")
HEX = re.compile(r"^0[xX][0-9a-fA-F]+$")
STRING = re.compile(r'^"([^"\\]*)"$')

TYPE_NAMES = {
    kconfiglib.BOOL: "bool",
    kconfiglib.TRISTATE: "tristate",
    kconfiglib.STRING: "string",
    kconfiglib.INT: "int",
    kconfiglib.HEX: "hex",
}


def split_lines(text):
    """Lines as the TypeScript side numbers them: split on LF, a CR before it dropped."""
    return re.split(r"\r?\n", text)


def prompt_of(sym):
    for node in sym.nodes:
        if node.prompt:
            return node.prompt[0]
    return ""


def help_of(sym):
    for node in sym.nodes:
        if node.help:
            return node.help
    return ""


def active_range(sym):
    """The (low, high) range kconfiglib applies now, or None."""
    base = 16 if sym.orig_type is kconfiglib.HEX else 10
    for low, high, cond in sym.ranges:
        if kconfiglib.expr_value(cond):
            def num(s):
                try:
                    return int(s.str_value, base)
                except ValueError:
                    return 0
            return num(low), num(high)
    return None


def check_value(sym, raw):
    """None when `raw` is a well-formed value for the symbol's type, else the problem kind."""
    t = sym.orig_type
    if t is kconfiglib.BOOL:
        return None if raw in ("y", "n") else "type"
    if t is kconfiglib.INT:
        return None if DECIMAL.match(raw) else "type"
    if t is kconfiglib.HEX:
        return None if HEX.match(raw) else "type"
    if t is kconfiglib.STRING:
        return None if STRING.match(raw) else "type"
    return "type"


def scan(kconf, index, text, problems):
    """Strict pass over one fragment: (symbol name, raw value, line) of every good line."""
    good = []
    first_line = {}
    choice_members = {}
    for line_no, raw_line in enumerate(split_lines(text), 1):
        line = raw_line.strip()
        if line == "":
            continue
        m = NOT_SET.match(line)
        if m:
            full, raw = m.group(1), "n"
        elif line.startswith("#"):
            continue
        else:
            m = ASSIGN.match(line)
            if not m:
                problems.append({"kind": "malformed", "fragment": index, "line": line_no, "text": line})
                continue
            full, raw = m.group(1), m.group(2).strip()
        short = full[len("CONFIG_"):]
        sym = kconf.syms.get(short)
        where = {"fragment": index, "line": line_no, "name": full, "raw": raw}
        if sym is None or not sym.nodes:
            problems.append(dict(where, kind="undefined"))
            continue
        if short in first_line:
            problems.append(dict(where, kind="duplicate", first=first_line[short]))
            continue
        first_line[short] = line_no
        bad = check_value(sym, raw)
        if bad is not None:
            problems.append(dict(where, kind=bad, type=TYPE_NAMES.get(sym.orig_type, "unknown")))
            continue
        if sym.choice is not None and raw == "y":
            choice_members.setdefault(id(sym.choice), []).append(full)
        good.append((sym, raw, line_no))
    for members in choice_members.values():
        if len(members) > 1:
            problems.append({"kind": "choice", "fragment": index, "members": members})
    return good


def overridden_in_choice(sym, where, assigned):
    """True when a later fragment selected another member of the symbol's choice."""
    if sym.choice is None:
        return False
    for other in sym.choice.syms:
        later = assigned.get(other.name)
        if other is not sym and later is not None and later["raw"] == "y" \
                and later["fragment"] > where["fragment"]:
            return True
    return False


def load(request):
    kconf = kconfiglib.Kconfig(request["kconfig"], warn_to_stderr=False)
    kconf.warn_assign_undef = True
    kconf.warn_assign_override = True
    kconf.warn_assign_redun = True
    tree_warnings = list(kconf.warnings)
    kconf.warnings = []

    problems = []
    assigned = {}
    tmp = tempfile.mkdtemp(prefix="rampart-kconfig-")
    try:
        fragments = request.get("fragments", [])
        for index, fragment in enumerate(fragments):
            good = scan(kconf, index, fragment["text"], problems)
            # Hand kconfiglib the accepted assignments only, each on its original line.
            lines = [""] * len(split_lines(fragment["text"]))
            for sym, raw, line_no in good:
                lines[line_no - 1] = "{}{}={}".format(kconf.config_prefix, sym.name, raw)
                assigned[sym.name] = {"fragment": index, "line": line_no, "raw": raw}
            path = os.path.join(tmp, "fragment{}".format(index))
            with open(path, "w", encoding="utf-8") as f:
                f.write("\n".join(lines) + "\n")
            kconf.load_config(path, replace=(index == 0))
            kconf.warnings = [w.replace(path, fragment["name"]) for w in kconf.warnings]

        # Ranges, visibility and effect, with every fragment in.
        for name, where in assigned.items():
            sym = kconf.syms[name]
            base = dict(where, name="CONFIG_" + name)
            if sym.orig_type in (kconfiglib.INT, kconfiglib.HEX):
                rng = active_range(sym)
                value = int(where["raw"], 16 if sym.orig_type is kconfiglib.HEX else 10)
                if rng is not None and not rng[0] <= value <= rng[1]:
                    problems.append(dict(base, kind="range", low=rng[0], high=rng[1],
                                         type=TYPE_NAMES[sym.orig_type]))
                    continue
            if sym.visibility == 0:
                problems.append(dict(base, kind="invisible",
                                     depends=kconfiglib.expr_str(sym.direct_dep)))
                continue
            if sym.orig_type is kconfiglib.BOOL and where["raw"] != sym.str_value \
                    and not overridden_in_choice(sym, where, assigned) \
                    and not any(p.get("kind") == "choice" for p in problems):
                problems.append(dict(base, kind="ineffective", value=sym.str_value))

        symbols = []
        for sym in kconf.unique_defined_syms:
            rng = active_range(sym) if sym.orig_type in (kconfiglib.INT, kconfiglib.HEX) else None
            symbols.append({
                "name": "CONFIG_" + sym.name,
                "type": TYPE_NAMES.get(sym.orig_type, "unknown"),
                "value": sym.str_value,
                "prompt": prompt_of(sym),
                "help": help_of(sym),
                "choice": sym.choice.name if sym.choice is not None and sym.choice.name else None,
                "range": list(rng) if rng is not None else None,
                "assigned": assigned.get(sym.name),
            })

        outputs = {}
        if not problems:
            header = request.get("header", "")
            for kind in request.get("outputs", []):
                out = os.path.join(tmp, "out-" + kind)
                if kind == "config":
                    kconf.write_config(out, header=header, save_old=False)
                elif kind == "autoconf":
                    kconf.write_autoconf(out, header=header)
                elif kind == "minconfig":
                    kconf.write_min_config(out, header=header)
                else:
                    raise ValueError("unknown output " + kind)
                with open(out, encoding="utf-8") as f:
                    outputs[kind] = f.read()
        return {
            "ok": True,
            "symbols": symbols,
            "problems": problems,
            "warnings": kconf.warnings,
            "treeWarnings": tree_warnings,
            "outputs": outputs,
            "kconfiglib": ".".join(str(v) for v in getattr(kconfiglib, "VERSION", ())),
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    try:
        request = json.loads(sys.stdin.buffer.read().decode("utf-8"))
        reply = load(request)
    except kconfiglib.KconfigError as error:
        reply = {"ok": False, "error": str(error)}
    sys.stdout.buffer.write(json.dumps(reply).encode("utf-8"))


if __name__ == "__main__":
    main()
