#!/usr/bin/env python3
"""packaging-check - the packaging files agree with the tree (issue 9).

docker/compose.yaml: well-formed YAML; every service has an image or a
build whose context and Dockerfile exist; depends_on names services
that exist (and service_healthy ones that have a healthcheck); every
named volume used is declared; the worker service can scale (no
container_name, no host ports).
docker/Dockerfile: every COPY source from the context exists; the build
stage runs scripts/build; the runtime stage is debian:12 with the
runtime libraries, no compiler or -dev package, a non-root USER and an
ENTRYPOINT or CMD.
packaging/systemd/*.service: the hardening keys with their values, an
EnvironmentFile, Type=simple; 'systemd-analyze verify' when it is there.

Before the real files, it checks planted broken copies and fails unless
it finds each planted mistake, so it cannot pass by finding nothing.
Prints each finding as FILE: what, then a count.
usage: tests/packaging-check.py [ROOT]
"""
import os, re, shutil, subprocess, sys, tempfile

try:
    import yaml
except ImportError:
    # A python3 off PATH (pyenv, a venv) may lack PyYAML; Debian's has it
    # (python3-yaml, installed by scripts/bootstrap).
    if os.path.exists("/usr/bin/python3") and sys.executable != "/usr/bin/python3" \
            and not os.environ.get("WS_PACKAGING_REEXEC"):
        os.environ["WS_PACKAGING_REEXEC"] = "1"
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    sys.exit("packaging-check: PyYAML is missing: apt-get install python3-yaml "
             "(scripts/bootstrap installs it)")

RUNTIME_PACKAGES = ["libzmq5", "libpq5", "libjansson4", "libcurl4",
                    "libmicrohttpd12", "libpcre2-8-0", "libxml2", "libssl3",
                    "libcairo2", "postgresql-client"]
COMPILERS = re.compile(r"^(gcc|g\+\+|cc|clang|build-essential|cmake|make|"
                       r"pkg-config|.*-dev)$")
# key -> accepted values (None: present with any value)
HARDENING = {
    "Type": {"simple"},
    "StateDirectory": {"watershed"},
    "ProtectSystem": {"strict"},
    "ProtectHome": {"yes", "true"},
    "PrivateTmp": {"yes", "true"},
    "NoNewPrivileges": {"yes", "true"},
    "SystemCallFilter": {"@system-service"},
    "Restart": {"on-failure"},
    "EnvironmentFile": None,
}
ADDRESS_FAMILIES = {"AF_UNIX", "AF_INET", "AF_INET6"}
UNITS = ["watershedd.service", "watershed-worker@.service"]


# ---------------------------------------------------------------- compose

def volume_source(entry):
    """The named volume an entry of a service's volumes uses, or None for
    a bind mount or a tmpfs."""
    if isinstance(entry, dict):
        if entry.get("type", "volume") != "volume":
            return None
        return entry.get("source")
    parts = str(entry).split(":")
    if len(parts) < 2:
        return None  # an anonymous volume
    source = parts[0]
    if source.startswith((".", "/", "~", "$")):
        return None
    return source


def check_compose(path):
    where = path
    try:
        with open(path) as f:
            doc = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        return ["%s: not well-formed YAML: %s" % (where, e)]
    if not isinstance(doc, dict) or not isinstance(doc.get("services"), dict):
        return ["%s: no 'services' mapping" % where]
    errors = []
    base = os.path.dirname(os.path.abspath(path))
    services = doc["services"]
    declared = doc.get("volumes") or {}
    if not isinstance(declared, dict):
        errors.append("%s: top-level 'volumes' is not a mapping" % where)
        declared = {}
    for name, service in services.items():
        at = "%s: service '%s'" % (where, name)
        if not isinstance(service, dict):
            errors.append("%s: not a mapping" % at)
            continue
        build = service.get("build")
        if not service.get("image") and not build:
            errors.append("%s: neither image nor build" % at)
        if build:
            if isinstance(build, str):
                build = {"context": build}
            context = os.path.normpath(os.path.join(base, build.get("context", ".")))
            if not os.path.isdir(context):
                errors.append("%s: build context '%s' does not exist"
                              % (at, build.get("context")))
            dockerfile = os.path.join(context, build.get("dockerfile", "Dockerfile"))
            if not os.path.isfile(dockerfile):
                errors.append("%s: Dockerfile '%s' does not exist in the context"
                              % (at, build.get("dockerfile", "Dockerfile")))
        depends = service.get("depends_on") or {}
        if isinstance(depends, list):
            depends = {d: {} for d in depends}
        for other, how in depends.items():
            if other not in services:
                errors.append("%s: depends_on '%s', no such service" % (at, other))
                continue
            condition = (how or {}).get("condition", "service_started")
            if condition not in ("service_started", "service_healthy",
                                 "service_completed_successfully"):
                errors.append("%s: depends_on '%s': unknown condition '%s'"
                              % (at, other, condition))
            if condition == "service_healthy" and \
                    not (services[other] or {}).get("healthcheck"):
                errors.append("%s: waits for '%s' to be healthy, which has "
                              "no healthcheck" % (at, other))
        for entry in service.get("volumes") or []:
            source = volume_source(entry)
            if source and source not in declared:
                errors.append("%s: volume '%s' is not declared under the "
                              "top-level volumes" % (at, source))
    worker = services.get("worker")
    if not isinstance(worker, dict):
        errors.append("%s: no 'worker' service" % where)
    else:
        if "container_name" in worker:
            errors.append("%s: service 'worker' has a container_name: "
                          "--scale worker=N needs distinct names" % where)
        for port in worker.get("ports") or []:
            errors.append("%s: service 'worker' publishes port '%s': "
                          "--scale worker=N would clash" % (where, port))
    postgres = services.get("postgres")
    if isinstance(postgres, dict):
        test = (postgres.get("healthcheck") or {}).get("test")
        if "pg_isready" not in str(test):
            errors.append("%s: service 'postgres': no pg_isready healthcheck"
                          % where)
    return errors


# ------------------------------------------------------------- Dockerfile

def dockerfile_instructions(path):
    """(line, INSTRUCTION, arguments) with continuation lines joined."""
    out, pending, first = [], "", 0
    with open(path) as f:
        for number, line in enumerate(f, 1):
            stripped = line.strip()
            if not pending and (not stripped or stripped.startswith("#")):
                continue
            if pending and stripped.startswith("#"):
                continue
            if not pending:
                first = number
            if stripped.endswith("\\"):
                pending += stripped[:-1] + " "
                continue
            text = pending + stripped
            pending = ""
            word, _, rest = text.partition(" ")
            out.append((first, word.upper(), rest.strip()))
    return out


def check_dockerfile(path, context):
    where = path
    try:
        instructions = dockerfile_instructions(path)
    except OSError as e:
        return ["%s: %s" % (where, e)]
    errors = []
    stages = []  # [{"from", "name", "runs", "user", "entry", "line"}]
    for line, word, rest in instructions:
        if word == "FROM":
            parts = rest.split()
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            stages.append({"from": parts[0], "name": name, "runs": [],
                           "user": None, "entry": False, "line": line})
            continue
        if not stages:
            errors.append("%s:%d: %s before FROM" % (where, line, word))
            continue
        stage = stages[-1]
        if word == "RUN":
            stage["runs"].append(rest)
        elif word == "USER":
            stage["user"] = rest.split(":")[0]
        elif word in ("ENTRYPOINT", "CMD"):
            stage["entry"] = True
        elif word in ("COPY", "ADD"):
            args = [a for a in rest.split() if not a.startswith("--")]
            if any(a.startswith("--from") for a in rest.split()):
                continue
            for source in args[:-1]:
                if not os.path.exists(os.path.join(context, source)):
                    errors.append("%s:%d: COPY source '%s' does not exist in "
                                  "the context" % (where, line, source))
    if len(stages) < 2:
        return errors + ["%s: expected a build stage and a runtime stage" % where]
    build, runtime = stages[0], stages[-1]
    if not any(re.search(r"(^|[\s/])scripts/build(\s|$)", r) for r in build["runs"]):
        errors.append("%s:%d: the build stage does not run scripts/build"
                      % (where, build["line"]))
    if runtime["from"] != "debian:12":
        errors.append("%s:%d: the runtime stage is '%s', expected debian:12"
                      % (where, runtime["line"], runtime["from"]))
    installed = set()
    for run in runtime["runs"]:
        for m in re.finditer(r"apt-get\s+install\s+([^&;|]*)", run):
            installed.update(w for w in m.group(1).split() if not w.startswith("-"))
    for package in RUNTIME_PACKAGES:
        if package not in installed:
            errors.append("%s: the runtime stage does not install %s"
                          % (where, package))
    for package in sorted(installed):
        if COMPILERS.match(package):
            errors.append("%s: the runtime stage installs '%s' (no compilers "
                          "or -dev packages at run time)" % (where, package))
    if not runtime["user"] or runtime["user"] in ("root", "0"):
        errors.append("%s: the runtime stage runs as root (USER)" % where)
    if not runtime["entry"]:
        errors.append("%s: the runtime stage has no ENTRYPOINT or CMD" % where)
    return errors


# ---------------------------------------------------------------- systemd

def unit_keys(path):
    """{section: {key: [values]}} of a unit file."""
    sections, current = {}, None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("[") and line.endswith("]"):
                current = sections.setdefault(line[1:-1], {})
                continue
            key, sep, value = line.partition("=")
            if sep and current is not None:
                current.setdefault(key.strip(), []).append(value.strip())
    return sections


def check_unit(path):
    where = path
    try:
        sections = unit_keys(path)
    except OSError as e:
        return ["%s: %s" % (where, e)]
    service = sections.get("Service")
    if service is None:
        return ["%s: no [Service] section" % where]
    errors = []
    for key, accepted in HARDENING.items():
        values = service.get(key)
        if not values:
            errors.append("%s: [Service] lacks %s=" % (where, key))
        elif accepted is not None and values[-1] not in accepted:
            errors.append("%s: %s=%s, expected %s" % (where, key, values[-1],
                                                      " or ".join(sorted(accepted))))
    user = (service.get("User") or [""])[-1]
    dynamic = (service.get("DynamicUser") or ["no"])[-1]
    if user != "watershed" and dynamic not in ("yes", "true"):
        errors.append("%s: neither User=watershed nor DynamicUser=yes" % where)
    families = set(" ".join(service.get("RestrictAddressFamilies") or []).split())
    if families != ADDRESS_FAMILIES:
        errors.append("%s: RestrictAddressFamilies=%s, expected %s" % (
            where, " ".join(sorted(families)) or "(none)",
            " ".join(sorted(ADDRESS_FAMILIES))))
    if not service.get("ExecStart"):
        errors.append("%s: [Service] lacks ExecStart=" % where)
    if "@." in os.path.basename(path) and \
            "%i" not in " ".join(service.get("ExecStart") or []):
        errors.append("%s: a template whose ExecStart does not use %%i" % where)
    return errors


def verify_units(paths):
    """systemd-analyze verify on copies whose programs are stand-ins (the
    binaries are not installed here); [] when systemd-analyze is absent."""
    tool = shutil.which("systemd-analyze")
    if not tool:
        print("packaging-check: systemd-analyze not found, verify skipped")
        return []
    errors = []
    with tempfile.TemporaryDirectory() as tmp:
        bindir = os.path.join(tmp, "bin")
        os.mkdir(bindir)
        copies = []
        for path in paths:
            with open(path) as f:
                text = f.read()
            for program in set(re.findall(r"/usr/local/bin/([\w.-]+)", text)):
                stand_in = os.path.join(bindir, program)
                if not os.path.exists(stand_in):
                    os.symlink(shutil.which("true") or "/bin/true", stand_in)
            copy = os.path.join(tmp, os.path.basename(path))
            with open(copy, "w") as f:
                f.write(text.replace("/usr/local/bin/", bindir + "/"))
            copies.append(copy)
        run = subprocess.run([tool, "verify", "--man=no"] + copies,
                             capture_output=True, text=True)
        for line in (run.stdout + run.stderr).splitlines():
            # Not about our files: the host's own units, or running
            # without systemd as PID 1 (a container).
            if not line.strip() or not any(os.path.basename(c).split("@")[0] in line
                                           for c in copies):
                continue
            errors.append("systemd-analyze verify: %s" % line.replace(tmp + "/", ""))
        if run.returncode and not errors:
            print("packaging-check: systemd-analyze verify exited %d on "
                  "nothing of ours: %s" % (run.returncode,
                                           (run.stderr or run.stdout).strip()[:300]))
    return errors


# ----------------------------------------------------------- the checks

def check_tree(root, verify=True):
    errors = []
    compose = os.path.join(root, "docker", "compose.yaml")
    errors += check_compose(compose)
    errors += check_dockerfile(os.path.join(root, "docker", "Dockerfile"), root)
    build = os.path.join(root, "scripts", "build")
    if not os.access(build, os.X_OK):
        errors.append("%s: missing or not executable" % build)
    entry = os.path.join(root, "docker", "entrypoint.sh")
    if not os.access(entry, os.X_OK):
        errors.append("%s: missing or not executable" % entry)
    units = [os.path.join(root, "packaging", "systemd", u) for u in UNITS]
    for unit in units:
        errors += check_unit(unit)
    if verify and all(os.path.exists(u) for u in units):
        errors += verify_units(units)
    return errors


def plant(root, tmp):
    """A copy of the packaging files with one mistake of each kind; returns
    (copy root, [(what, substring a finding must contain)])."""
    copy = os.path.join(tmp, "planted")
    for sub in ("docker", "packaging/systemd", "scripts"):
        shutil.copytree(os.path.join(root, sub), os.path.join(copy, sub))
    for path in ("demo/sources.json",):
        os.makedirs(os.path.dirname(os.path.join(copy, path)), exist_ok=True)
        shutil.copy(os.path.join(root, path), os.path.join(copy, path))
    # The Dockerfile's COPY . needs the context only to exist.
    expected = []

    compose = os.path.join(copy, "docker", "compose.yaml")
    with open(compose) as f:
        doc = yaml.safe_load(f)
    services = doc["services"]
    services["worker"]["volumes"] = ["nowhere:/keys:ro"]
    expected.append(("an undeclared volume", "volume 'nowhere'"))
    services["worker"]["depends_on"]["ghost"] = {"condition": "service_started"}
    expected.append(("depends_on a missing service", "'ghost', no such service"))
    services["worker"]["container_name"] = "w"
    expected.append(("a worker with a container_name", "container_name"))
    services["demo"] = {"build": {"context": "../nothing-here"}}
    expected.append(("a missing build context", "'../nothing-here' does not exist"))
    with open(compose, "w") as f:
        yaml.safe_dump(doc, f)

    dockerfile = os.path.join(copy, "docker", "Dockerfile")
    with open(dockerfile) as f:
        text = f.read()
    text = text.replace("scripts/build", "scripts/make")
    expected.append(("a build stage without scripts/build", "does not run scripts/build"))
    text += "\nCOPY no-such-file /x\n"
    expected.append(("a COPY of a missing file", "'no-such-file' does not exist"))
    text = text.replace("libcairo2", "libcairo2 gcc")
    expected.append(("a compiler at run time", "installs 'gcc'"))
    with open(dockerfile, "w") as f:
        f.write(text)

    unit = os.path.join(copy, "packaging", "systemd", "watershedd.service")
    with open(unit) as f:
        text = f.read()
    text = re.sub(r"(?m)^ProtectSystem=.*\n", "", text)
    expected.append(("a unit without ProtectSystem", "lacks ProtectSystem="))
    text = text.replace("AF_INET AF_INET6", "AF_INET AF_INET6 AF_NETLINK")
    expected.append(("an extra address family", "RestrictAddressFamilies="))
    with open(unit, "w") as f:
        f.write(text)

    broken = os.path.join(tmp, "broken.yaml")
    with open(broken, "w") as f:
        f.write("services:\n  a: [1, 2\n")
    return copy, broken, expected


def self_test(root):
    """0 when every planted mistake is found, else 1."""
    with tempfile.TemporaryDirectory() as tmp:
        copy, broken, expected = plant(root, tmp)
        findings = check_tree(copy, verify=False)
        expected.append(("malformed YAML", "not well-formed YAML"))
        findings += check_compose(broken)
        missed = [what for what, needle in expected
                  if not any(needle in f for f in findings)]
        # systemd-analyze, where it runs, must catch a misspelt key.
        if shutil.which("systemd-analyze"):
            unit = os.path.join(copy, "packaging", "systemd",
                                "watershed-worker@.service")
            with open(unit, "a") as f:
                f.write("ProtectSytem=strict\n")
            if not any("ProtectSytem" in f for f in verify_units([unit])):
                missed.append("a misspelt key (systemd-analyze verify)")
            expected.append(("a misspelt key", "ProtectSytem"))
        for what in missed:
            print("packaging-check: self-test: %s was not found" % what)
        print("packaging-check: self-test: %d planted mistakes, %d found"
              % (len(expected), len(expected) - len(missed)))
        return 1 if missed else 0


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                           os.path.join(os.path.dirname(__file__), ".."))
    if self_test(root):
        return 1
    errors = check_tree(root)
    for e in errors:
        print(e)
    print("packaging-check: compose, Dockerfile and %d systemd units checked, "
          "%d findings" % (len(UNITS), len(errors)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
