"""The seccomp filter the sandbox loads: no Unix-domain sockets, no io_uring, no foreign ABI.

The sandbox sees the host's filesystem read-only, and a read-only mount does not stop
`connect()` on a socket file there (a Docker, D-Bus or database socket under /var/lib, say).
Hiding every directory that might hold one is guesswork; refusing to create an `AF_UNIX`
socket at all is not. `socketpair()` (asyncio's self-pipe, pytest-xdist's pipes) is a
different call and stays allowed. io_uring can create sockets without the `socket` system
call (IORING_OP_SOCKET), so it is refused too, and so is any system call made through
another ABI (int 0x80, x32), whose numbers this filter does not check.

The program is classic BPF, as bubblewrap's `--seccomp FD` reads it: an array of
`struct sock_filter` (see linux/filter.h and linux/seccomp.h).
"""

from __future__ import annotations

import errno
import os
import platform
import struct

# linux/audit.h
_ARCHES = {
    "x86_64": (0xC000003E, {"socket": 41, "io_uring_setup": 425}),
    "aarch64": (0xC00000B7, {"socket": 198, "io_uring_setup": 425}),
}
_X32_SYSCALL_BIT = 0x40000000
_AF_UNIX = 1

_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_RET_K = 0x06
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
# offsets in struct seccomp_data
_NR, _ARCH, _ARG0_LOW = 0, 4, 16


def _op(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("<HBBI", code, jt, jf, k)


def filter_program(machine: str | None = None) -> bytes | None:
    """The filter for this machine's architecture, or None where it has none."""
    found = _ARCHES.get(machine or platform.machine())
    if found is None:
        return None
    arch, numbers = found
    deny = _RET_ERRNO | errno.EPERM
    return b"".join(
        (
            _op(_LD_W_ABS, _ARCH),
            _op(_JEQ_K, arch, jt=1),  # 1
            _op(_RET_K, deny),  # 2: another ABI
            _op(_LD_W_ABS, _NR),  # 3
            _op(_JGE_K, _X32_SYSCALL_BIT, jf=1),  # 4
            _op(_RET_K, deny),  # 5: x32
            _op(_JEQ_K, numbers["io_uring_setup"], jf=1),  # 6
            _op(_RET_K, deny),  # 7
            _op(_JEQ_K, numbers["socket"], jf=3),  # 8
            _op(_LD_W_ABS, _ARG0_LOW),  # 9
            _op(_JEQ_K, _AF_UNIX, jf=1),  # 10
            _op(_RET_K, _RET_ERRNO | errno.EACCES),  # 11: socket(AF_UNIX, ...)
            _op(_RET_K, _RET_ALLOW),  # 12
        )
    )


def filter_fd(program: bytes) -> int:
    """A file descriptor positioned at the start of `program`, for bwrap to read once."""
    fd = os.memfd_create("fep-seccomp", os.MFD_CLOEXEC)
    os.write(fd, program)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd
