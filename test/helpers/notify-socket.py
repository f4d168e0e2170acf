"""A stand-in for systemd's notify socket: prints each datagram's lines, closes any fd passed with it
(BARRIER=1 sends a pipe fd and waits for it to close: that is systemd having read the message)."""
import array, os, socket, sys

path = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
print("listening", flush=True)
while True:
    msg, anc, _flags, _addr = s.recvmsg(4096, socket.CMSG_SPACE(16 * 4))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds = array.array("i")
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
            for fd in fds:
                os.close(fd)
    for line in msg.decode(errors="replace").split("\n"):
        if line:
            print(line, flush=True)
