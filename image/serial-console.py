"""Logs in on the booted image's serial console (QEMU's unix socket) and runs commands there.

    serial-console.py SOCKET USER PASSWORD TIMEOUT_S COMMAND...

Each command's output is printed between lines "== <command>" and "== exit <code>". Exit status:
0 when every command ran (whatever their own exit codes), 1 when the login or a command timed out.
Only the standard library: the build machine needs nothing more than python3."""
import re, socket, sys, time

path, user, password, timeout = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
commands = sys.argv[5:]
deadline = time.monotonic() + timeout
sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.connect(path)
seen = b""
logged_in = False


def read_until(found, what: str):
    """Reads until found(seen) gives a value, and returns it. Gives up at the deadline."""
    global seen
    while True:
        value = found(seen)
        if value:
            return value
        left = deadline - time.monotonic()
        if left <= 0:
            sys.stderr.write("serial: timed out waiting for %s; last output:\n%s\n" % (what, seen[-600:].decode(errors="replace")))
            if logged_in:
                leave(interrupt=True)
            sys.exit(1)
        sock.settimeout(min(left, 5))
        try:
            chunk = sock.recv(4096)
        except socket.timeout:
            # a getty started before our connection printed its prompt already: ask again. Only then:
            # once logged in, a stray Enter goes to whatever reads the terminal (a shell, a pager, an
            # editor: E749 in a loop was vim's Ex mode getting one every 5 s)
            if not logged_in and b"login:" not in seen:
                sock.sendall(b"\r")
            continue
        if not chunk:
            sys.stderr.write("serial: the console closed\n")
            sys.exit(1)
        seen += chunk


def leave(interrupt: bool = False) -> None:
    """Logs out and waits (quietly, up to 20 s) for the next login prompt: the next session must find the getty,
    not this shell. After a timeout the command may still run: Ctrl-C stops it first (a CI run's second session
    found the first one's shell still in its command, no login prompt, and failed too)."""
    global seen
    try:
        if interrupt:
            sock.sendall(b"\x03")
            time.sleep(0.5)
        send("exit")
        end_by = time.monotonic() + 20
        while b"login:" not in seen and time.monotonic() < end_by:
            sock.settimeout(max(0.1, end_by - time.monotonic()))
            chunk = sock.recv(4096)
            if not chunk:
                break
            seen += chunk
    except OSError:  # socket.timeout included: the next session asks for the prompt itself
        pass


def wait_for(*needles: bytes) -> bytes:
    return read_until(lambda text: next((n for n in needles if n in text), None), repr(needles))


def send(line: str) -> None:
    global seen
    seen = b""
    sock.sendall(line.encode() + b"\r")


sock.sendall(b"\r")
wait_for(b"login:")
send(user)
wait_for(b"Password:")
send(password)
if wait_for(b"$ ", b"Login incorrect") == b"Login incorrect":
    sys.stderr.write("serial: login incorrect\n")
    sys.exit(1)
logged_in = True
# a quiet shell that reads plain lines: no echo, no prompt, no line editing at all (readline off: no
# key binding such as C-x C-e, or M-C-j then v, can open an editor from the bytes we send), no history
# expansion, no pager, and any editor a command would start fails at once instead of waiting on the
# console. Its last word is a marker the echoed command line does not contain as such.
send("stty -echo; PS1=; set +o emacs +o vi +H; export SYSTEMD_PAGER= PAGER=cat SYSTEMD_COLORS=0 TERM=dumb EDITOR=false VISUAL=false FCEDIT=false; echo LW-\"READY\"")
read_until(re.compile(rb"LW-READY\r?\n").search, "the shell")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
for i, command in enumerate(commands):
    end = "LW-END-%d" % i
    send("%s; echo LW-\"END-%d\" $?" % (command, i))
    marker = re.compile(end.encode() + rb" (\d+)\r?\n")
    found = read_until(marker.search, end)
    print("== %s" % command)
    print(ANSI.sub("", seen[: found.start()].decode(errors="replace")).replace("\r", "").strip("\n"))
    print("== exit %s" % found.group(1).decode())
leave()
