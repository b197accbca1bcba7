"""`python -m ilupa.kernel install [...]` registers the kernel; otherwise it runs it."""

from __future__ import annotations

import sys


def main(argv: list[str]) -> None:
    """Dispatch between the install command and starting the kernel for a frontend."""
    if argv[:1] == ["install"]:
        from ilupa.kernel.kernelspec import main as install_main

        install_main(argv[1:])
        return
    from ipykernel.kernelapp import IPKernelApp

    from ilupa.kernel.lua_kernel import LuaKernel

    IPKernelApp.launch_instance(argv=argv, kernel_class=LuaKernel)


if __name__ == "__main__":
    main(sys.argv[1:])
