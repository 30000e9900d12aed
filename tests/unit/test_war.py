"""deploy/war.py: the safe expansion of a WAR, every trick of a hostile
archive refused before (or while) anything is written, and nothing left
outside the target folder or half-expanded in it. Archives are built here
with zipfile."""

from __future__ import annotations

import os
import stat
import zipfile

import pytest

from catalina_py.deploy.war import (
    WAR_TRACKER,
    ExpansionState,
    WarError,
    WarLimits,
    check_entries,
    check_entry_name,
    expand_war,
    expansion_state,
    remove_expanded,
)

GOOD = {
    "WEB-INF/web.xml": b"<web-app/>",
    "WEB-INF/classes/hello.py": b"X = 1\n",
    "index.html": b"<p>hi</p>",
}


def make_war(path, entries, *, symlinks=(), folders=(), compression=zipfile.ZIP_DEFLATED) -> str:
    with zipfile.ZipFile(path, "w", compression) as war:
        for name in folders:
            war.writestr(zipfile.ZipInfo(name), b"")
        for name, data in entries.items() if isinstance(entries, dict) else entries:
            war.writestr(name, data)
        for name, target in symlinks:
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            war.writestr(info, target)
    return str(path)


def tree(root) -> set[str]:
    found = set()
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            found.add(os.path.relpath(os.path.join(folder, name), root))
    return found


def test_a_good_war_is_expanded_with_the_tracker(tmp_path):
    war = make_war(tmp_path / "app.war", GOOD, folders=["css/"])
    target = tmp_path / "app"
    expand_war(war, str(target))
    assert (target / "WEB-INF" / "web.xml").read_bytes() == b"<web-app/>"
    assert (target / "index.html").read_bytes() == b"<p>hi</p>"
    assert (target / "css").is_dir()
    tracker = target / WAR_TRACKER
    assert tracker.is_file() and tracker.stat().st_mtime_ns == os.stat(war).st_mtime_ns
    # Nothing else in appBase: the temporary folder was renamed away.
    assert sorted(os.listdir(tmp_path)) == ["app", "app.war"]


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("../evil.txt", "'..'"),
        ("WEB-INF/../../evil.txt", "'..'"),
        ("a/..", "'..'"),
        ("/etc/evil.txt", "absolute"),
        ("C:/evil.txt", "drive letter"),
        ("c:evil.txt", "drive letter"),
        ("WEB-INF\\..\\..\\evil.txt", "backslash"),
        ("evil\x00.txt", "NUL"),
        ("./index.html", "'.'"),
        ("a//b.txt", "empty"),
        ("a/b:stream", "':'"),
    ],
)
def test_a_bad_name_is_refused(name, words):
    reason = check_entry_name(name)
    assert reason is not None and words in reason


@pytest.mark.parametrize("name", ["index.html", "WEB-INF/", "WEB-INF/classes/a.py", "a..b/c", "x.y/z..txt"])
def test_plain_names_pass(name):
    assert check_entry_name(name) is None


@pytest.mark.parametrize(
    "evil",
    [
        "../evil.txt",
        "../../evil.txt",
        "WEB-INF/../../evil.txt",
        "/tmp/evil-absolute.txt",
        "C:/evil.txt",
        "..\\evil.txt",
    ],
)
def test_zip_slip_writes_nothing_anywhere(tmp_path, evil):
    app_base = tmp_path / "webapps"
    app_base.mkdir()
    # The bad entry comes last, after good ones were (would have been) written.
    war = make_war(app_base / "app.war", [*GOOD.items(), (evil, b"pwned")])
    with pytest.raises(WarError) as refused:
        expand_war(war, str(app_base / "app"))
    assert refused.value.entry == evil
    assert f"entry [{evil}]" in str(refused.value) and "app.war" in str(refused.value)
    assert tree(tmp_path) == {"webapps", os.path.join("webapps", "app.war")}
    assert not os.path.exists("/tmp/evil-absolute.txt")


def test_a_symlink_entry_is_refused(tmp_path):
    war = make_war(tmp_path / "app.war", GOOD, symlinks=[("WEB-INF/classes/passwd.py", "/etc/passwd")])
    with pytest.raises(WarError, match="symbolic link") as refused:
        expand_war(war, str(tmp_path / "app"))
    assert refused.value.entry == "WEB-INF/classes/passwd.py"
    assert tree(tmp_path) == {"app.war"}


def test_a_symlink_then_a_file_through_it_is_refused_at_the_link(tmp_path):
    # The classic: a link "out" -> "/", then "out/tmp/x" written through it.
    war = make_war(tmp_path / "app.war", [("out/tmp/x", b"x")], symlinks=[("link", "/")])
    with pytest.raises(WarError, match="symbolic link"):
        expand_war(war, str(tmp_path / "app"))
    assert tree(tmp_path) == {"app.war"}


def test_duplicate_names_are_refused(tmp_path):
    war = tmp_path / "app.war"
    with zipfile.ZipFile(war, "w") as archive, pytest.warns(UserWarning, match="Duplicate name"):
        archive.writestr("index.html", b"one")
        archive.writestr("index.html", b"two")
    with pytest.raises(WarError, match="duplicate") as refused:
        expand_war(str(war), str(tmp_path / "app"))
    assert refused.value.entry == "index.html"
    assert tree(tmp_path) == {"app.war"}


@pytest.mark.parametrize(
    "entries",
    [
        [("a", b"file"), ("a/b", b"inside a file")],
        [("a/b", b"x"), ("a", b"a file over a folder")],
    ],
)
def test_a_name_both_file_and_folder_is_refused(tmp_path, entries):
    war = make_war(tmp_path / "app.war", entries)
    with pytest.raises(WarError):
        expand_war(war, str(tmp_path / "app"))
    assert tree(tmp_path) == {"app.war"}


def test_the_tracker_cannot_come_from_the_war(tmp_path):
    war = make_war(tmp_path / "app.war", {WAR_TRACKER: b""})
    with pytest.raises(WarError, match="marker"):
        expand_war(war, str(tmp_path / "app"))


def test_too_many_entries(tmp_path):
    war = make_war(tmp_path / "app.war", {f"f{i}.txt": b"x" for i in range(11)})
    with pytest.raises(WarError, match="11 entries, more than the limit of 10") as refused:
        expand_war(war, str(tmp_path / "app"), WarLimits(max_entries=10))
    assert refused.value.entry is None
    assert tree(tmp_path) == {"app.war"}


def test_a_zip_bomb_is_bounded_by_the_total_size(tmp_path):
    # 4 entries of 1 MiB of zeros: a few KiB compressed.
    war = make_war(tmp_path / "app.war", {f"zeros{i}.bin": bytes(1 << 20) for i in range(4)})
    assert os.path.getsize(war) < 64 * 1024
    limits = WarLimits(max_total_size=3 << 20)
    with pytest.raises(WarError, match="past the limit") as refused:
        expand_war(war, str(tmp_path / "app"), limits)
    assert refused.value.entry == "zeros3.bin"
    assert tree(tmp_path) == {"app.war"}


def test_one_entry_too_large(tmp_path):
    war = make_war(tmp_path / "app.war", {"big.bin": bytes(2048)})
    with pytest.raises(WarError, match="more than the limit of 1024"):
        expand_war(war, str(tmp_path / "app"), WarLimits(max_entry_size=1024))


def test_an_entry_lying_about_its_size_is_cut_off_and_removed(tmp_path):
    # The header says 10 bytes; the data is 1 MiB. zipfile (or our count)
    # stops it, the partial folder goes away.
    war = tmp_path / "app.war"
    with zipfile.ZipFile(war, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("index.html", b"ok")
        archive.writestr("liar.bin", bytes(1 << 20))
    data = bytearray(war.read_bytes())
    with zipfile.ZipFile(war) as archive:
        info = archive.getinfo("liar.bin")
        local, size = info.header_offset, info.file_size
    # Rewrite the uncompressed size (local header offset 22, central
    # directory: find the same 4 bytes after the entry's name).
    little = size.to_bytes(4, "little")
    assert data[local + 22 : local + 26] == little
    data[local + 22 : local + 26] = (10).to_bytes(4, "little")
    central = data.rfind(b"liar.bin") - 46
    assert data[central + 24 : central + 28] == little
    data[central + 24 : central + 28] = (10).to_bytes(4, "little")
    war.write_bytes(bytes(data))
    with pytest.raises(WarError) as refused:
        expand_war(str(war), str(tmp_path / "app"))
    assert refused.value.entry == "liar.bin"
    assert tree(tmp_path) == {"app.war"}


def test_not_a_zip(tmp_path):
    war = tmp_path / "app.war"
    war.write_bytes(b"this is no zip")
    with pytest.raises(WarError, match="not a valid zip") as refused:
        expand_war(str(war), str(tmp_path / "app"))
    assert refused.value.entry is None
    assert tree(tmp_path) == {"app.war"}


def test_an_encrypted_entry_is_refused():
    info = zipfile.ZipInfo("secret.txt")
    info.flag_bits |= 0x1
    with pytest.raises(WarError, match="encrypted"):
        check_entries("x.war", [info], WarLimits())


def test_an_unknown_compression_is_refused():
    info = zipfile.ZipInfo("a.txt")
    info.compress_type = 99
    with pytest.raises(WarError, match="compression method 99"):
        check_entries("x.war", [info], WarLimits())


def test_an_existing_target_is_never_overwritten(tmp_path):
    war = make_war(tmp_path / "app.war", GOOD)
    (tmp_path / "app").mkdir()
    with pytest.raises(WarError, match="already exists"):
        expand_war(war, str(tmp_path / "app"))
    assert tree(tmp_path) == {"app.war", "app"}


def test_expansion_state_follows_tomcats_rule(tmp_path):
    war = make_war(tmp_path / "app.war", GOOD)
    folder = tmp_path / "app"
    assert expansion_state(war, str(folder)) is ExpansionState.MISSING
    folder.mkdir()
    assert expansion_state(war, str(folder)) is ExpansionState.UNTRACKED
    assert not remove_expanded(str(folder)) and folder.is_dir()  # not ours: kept
    folder.rmdir()
    expand_war(war, str(folder))
    assert expansion_state(war, str(folder)) is ExpansionState.CURRENT
    st = os.stat(war)
    os.utime(war, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    assert expansion_state(war, str(folder)) is ExpansionState.STALE
    assert remove_expanded(str(folder)) and not folder.exists()


def test_entry_times_are_kept(tmp_path):
    war = tmp_path / "app.war"
    with zipfile.ZipFile(war, "w") as archive:
        archive.writestr(zipfile.ZipInfo("old.txt", date_time=(2001, 2, 3, 4, 5, 6)), b"old")
    expand_war(str(war), str(tmp_path / "app"))
    import time

    assert time.localtime(os.path.getmtime(tmp_path / "app" / "old.txt"))[:6] == (2001, 2, 3, 4, 5, 6)
