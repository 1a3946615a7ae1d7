"""Who a task runs as: never the superuser unless the devcluster was told to.

A devcluster started by root runs each task (its runner, processes, health
checks, `.thermos_profile`) as the user named like the job's role when such a
user exists and is not root, as the Aurora executor does; otherwise as a
fallback user (`nobody` unless `--task-user` names another). The executor
picks the user and hands the sandbox to it; the runner drops to it
(`become`) before it runs anything from the job. `--run-tasks-as-root` keeps
the old behaviour. A devcluster started by anyone else runs tasks as itself.
"""

from __future__ import annotations

import os
import pwd
import stat
from dataclasses import dataclass

DEFAULT_FALLBACK = "nobody"


@dataclass(frozen=True)
class TaskUser:
    """A local account a task runs as."""
    name: str
    uid: int
    gid: int
    home: str

    @classmethod
    def named(cls, name: str) -> TaskUser:
        """The account `name` (KeyError when the machine has none)."""
        entry = pwd.getpwnam(name)
        return cls(entry.pw_name, entry.pw_uid, entry.pw_gid, entry.pw_dir)

    def groups(self) -> list[int]:
        """Its primary and supplementary groups, as a login would set them."""
        return os.getgrouplist(self.name, self.gid)


def is_superuser(user: TaskUser) -> bool:
    return user.uid == 0 or user.gid == 0


class UserPolicy:
    """Decides each task's user from its role; built once when the devcluster starts."""

    def __init__(self, fallback: str = DEFAULT_FALLBACK, run_as_root: bool = False):
        self.drops = os.geteuid() == 0 and not run_as_root
        self.run_as_root = os.geteuid() == 0 and run_as_root
        self.fallback: TaskUser | None = None
        if self.drops:
            try:
                self.fallback = TaskUser.named(fallback)
            except KeyError:
                raise ValueError(f"the task user {fallback!r} does not exist on this machine; "
                                 "name an existing unprivileged user with --task-user") from None
            if is_superuser(self.fallback):
                raise ValueError(f"the task user {fallback!r} is root (uid or gid 0); name an "
                                 "unprivileged user with --task-user") from None

    def user_for(self, role: str) -> tuple[TaskUser | None, str]:
        """(the user to drop to, or None to stay as we are; the words for the task's event)."""
        if not self.drops:
            try:
                me = pwd.getpwuid(os.geteuid()).pw_name
            except KeyError:
                me = f"uid {os.geteuid()}"
            why = ": --run-tasks-as-root" if self.run_as_root else ", the devcluster's user"
            return None, f"runs as {me}{why}"
        assert self.fallback is not None
        try:
            user = TaskUser.named(role)
        except KeyError:
            user = None
        if user is not None and not is_superuser(user):
            return user, f"runs as {user.name}, uid {user.uid}"
        reason = "is root" if user is not None else "has no user on this machine"
        fallback = self.fallback
        return fallback, (f"runs as {fallback.name}, uid {fallback.uid}: role {role!r} "
                          f"{reason}")


def closed_dir(path: str, user: TaskUser) -> str | None:
    """The first directory from / down to `path` that `user` may not enter, or None.

    Read from the mode bits as the kernel applies them (owner, else group, else
    others); access control lists are not consulted.
    """
    groups = set(user.groups())
    current = os.sep
    for part in [""] + os.path.abspath(path).strip(os.sep).split(os.sep):
        current = os.path.join(current, part) if part else current
        try:
            info = os.stat(current)
        except OSError:
            return current
        if info.st_uid == user.uid:
            bit = stat.S_IXUSR
        elif info.st_gid in groups:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not info.st_mode & bit:
            return current
    return None


def become(name: str) -> TaskUser:
    """Drop from root to `name` for good: groups, then gid, then uid; prove it stuck.

    Also sets HOME, USER and LOGNAME as a login would. Raises PermissionError
    when the drop did not take or could be undone.
    """
    user = TaskUser.named(name)
    if is_superuser(user):
        raise PermissionError(f"refusing to run a task as {name}: it is root")
    os.initgroups(user.name, user.gid)
    os.setgid(user.gid)
    os.setuid(user.uid)
    if os.getresuid() != (user.uid,) * 3 or os.getresgid() != (user.gid,) * 3:
        raise PermissionError(f"could not drop to {name}: ids are {os.getresuid()}")
    for regain in (os.setuid, os.setgid):
        try:
            regain(0)
        except PermissionError:
            continue
        raise PermissionError(f"dropped to {name} but could regain root")
    os.environ.update(HOME=user.home, USER=user.name, LOGNAME=user.name)
    return user


def hand_over(sandbox: str, top: str, user: TaskUser) -> None:
    """Give a fresh sandbox (and its `.runner` files) to `user`, private to it; make the
    directories between `top` and it enter-only (0711) for everyone, so the user reaches
    its sandbox without being able to list anyone else's."""
    parent = os.path.dirname(sandbox)
    while parent.startswith(top + os.sep):
        os.chmod(parent, 0o711)
        parent = os.path.dirname(parent)
    for folder, _, files in os.walk(sandbox):
        os.chown(folder, user.uid, user.gid, follow_symlinks=False)
        for name in files:
            os.chown(os.path.join(folder, name), user.uid, user.gid, follow_symlinks=False)
