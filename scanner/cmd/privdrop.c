/* SPDX-License-Identifier: MIT */
/*
 * Privilege drop for `tlsmap scan --user NAME` (privdrop.h). Raw capset(2)
 * and prctl(2) rather than libcap: two capabilities below 32 fit one word,
 * and the check reads /proc, so no dependency is needed.
 *
 * Linux keeps uids, gids and capability sets per thread. glibc's setuid(),
 * setgid() and setgroups() are applied to every thread of the process
 * (POSIX semantics, through a signal to each thread); capset(2), prctl's
 * keep-capabilities flag, the bounding set and no_new_privs are not. So:
 * no_new_privs and the bounding set are set before any thread exists (new
 * threads inherit them); keep-capabilities is set in the calling thread
 * only, so when setuid() leaves uid 0 every other thread loses all its
 * capabilities (capabilities(7), "Effect of user ID changes") and the
 * calling thread keeps its permitted set, which capset then reduces to the
 * two kept capabilities. The verification reads every thread's status
 * rather than trusting this reasoning.
 */
#include "scanner/cmd/privdrop.h"

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* What a scan keeps once the port is up (docs/privileges.md). */
#define PRIV_KEEP ((UINT64_C(1) << CAP_NET_RAW) | (UINT64_C(1) << CAP_NET_ADMIN))

static int fail(char *err, size_t errlen, const char *fmt, const char *a, int e)
{
	char msg[256];

	snprintf(msg, sizeof(msg), fmt, a);
	if (e)
		snprintf(err, errlen, "%s: %s", msg, strerror(e));
	else
		snprintf(err, errlen, "%s", msg);
	return -1;
}

/* Directory part of @path into @dir ("." when it has none). */
static void dir_of(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(dir, len, ".");
	else if (slash == path)
		snprintf(dir, len, "/");
	else
		snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

/* Exit codes of the checking child: which path failed, and how. */
enum { CHK_SWITCH = 1, CHK_WRITE = 10, CHK_STICKY = 40, CHK_READ = 70, CHK_MAX_PATHS = 30 };

/* Runs as @u in a child: 0 when every @write path can be created or
 * replaced and every existing @read path can be read by @u. */
static int child_check(const struct priv_user *u, const char *const *write, size_t nwrite,
		       const char *const *read, size_t nread)
{
	char dir[4096];
	struct stat ds, fs;

	if (setgroups((size_t)u->ngroups, u->groups) || setgid(u->gid) || setuid(u->uid))
		return CHK_SWITCH;
	for (size_t i = 0; i < nwrite; i++) {
		if (!write[i])
			continue;
		dir_of(write[i], dir, sizeof(dir));
		if (access(dir, W_OK | X_OK) != 0 || stat(dir, &ds) != 0)
			return CHK_WRITE + (int)i;
		/* a sticky directory (/tmp) lets only the owner replace a file */
		if ((ds.st_mode & S_ISVTX) && stat(write[i], &fs) == 0 && fs.st_uid != u->uid &&
		    ds.st_uid != u->uid)
			return CHK_STICKY + (int)i;
	}
	for (size_t i = 0; i < nread; i++)
		if (read[i] && access(read[i], R_OK) != 0 && errno != ENOENT)
			return CHK_READ + (int)i;
	return 0;
}

static int check_paths(const struct priv_user *u, const char *const *write, size_t nwrite,
		       const char *const *read, size_t nread, char *err, size_t errlen)
{
	int status, code;
	pid_t pid;

	if (nwrite > CHK_MAX_PATHS || nread > CHK_MAX_PATHS)
		return fail(err, errlen, "--user %s: too many paths to check", u->name, 0);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return fail(err, errlen, "--user: fork", "", errno);
	if (pid == 0)
		_exit(child_check(u, write, nwrite, read, nread));
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return fail(err, errlen, "--user: waitpid", "", errno);
	code = WIFEXITED(status) ? WEXITSTATUS(status) : CHK_SWITCH;
	if (code == 0)
		return 0;
	if (code >= CHK_READ)
		snprintf(err, errlen,
			 "--user %s: %s is not readable by that user (the TLS workers open it "
			 "after the drop)",
			 u->name, read[code - CHK_READ]);
	else if (code >= CHK_STICKY)
		snprintf(err, errlen,
			 "--user %s: %s exists in a sticky directory and belongs to another "
			 "user: %s could not replace it",
			 u->name, write[code - CHK_STICKY], u->name);
	else if (code >= CHK_WRITE)
		snprintf(err, errlen,
			 "--user %s: %s: its directory is not writable by that user (files are "
			 "written there and renamed into place)",
			 u->name, write[code - CHK_WRITE]);
	else
		snprintf(err, errlen, "--user %s: cannot switch to that user to check files",
			 u->name);
	return -1;
}

int priv_prepare(const char *name, const char *const *write, size_t nwrite, const char *const *read,
		 size_t nread, struct priv_user *u, char *err, size_t errlen)
{
	struct passwd pw, *pwp = NULL;
	char buf[4096];
	int n = PRIV_MAX_GROUPS;

	memset(u, 0, sizeof(*u));
	if (geteuid() != 0)
		return fail(
			err, errlen,
			"--user %s: must start as root (the port is brought up before the drop)",
			name, 0);
	errno = 0;
	if (getpwnam_r(name, &pw, buf, sizeof(buf), &pwp) != 0 || !pwp)
		return fail(err, errlen, "--user %s: no such user", name, errno);
	if (pw.pw_uid == 0 || pw.pw_gid == 0)
		return fail(err, errlen, "--user %s: uid or gid 0 is not a drop", name, 0);
	snprintf(u->name, sizeof(u->name), "%s", name);
	u->uid = pw.pw_uid;
	u->gid = pw.pw_gid;
	if (getgrouplist(name, pw.pw_gid, u->groups, &n) < 0)
		return fail(err, errlen, "--user %s: more supplementary groups than tlsmap keeps",
			    name, 0);
	u->ngroups = n;
	for (int i = 0; i < n; i++)
		if (u->groups[i] == 0)
			return fail(err, errlen, "--user %s: member of group 0 (root)", name, 0);
	if (check_paths(u, write, nwrite, read, nread, err, errlen))
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return fail(err, errlen, "--user %s: PR_SET_NO_NEW_PRIVS", name, errno);
	for (unsigned long cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (!(PRIV_KEEP >> cap & 1) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
			return fail(err, errlen, "--user %s: PR_CAPBSET_DROP", name, errno);
	return 0;
}

/* The hex word after @key in a /proc status file, or UINT64_MAX. */
static uint64_t status_hex(const char *status, const char *key)
{
	const char *p = strstr(status, key);

	return p ? strtoull(p + strlen(key), NULL, 16) : UINT64_MAX;
}

/* Four decimal ids after @key ("Uid:\t1\t1\t1\t1"): all equal to @want? */
static bool status_ids(const char *status, const char *key, unsigned long want)
{
	const char *p = strstr(status, key);
	char *end;

	if (!p)
		return false;
	p += strlen(key);
	for (int i = 0; i < 4; i++) {
		unsigned long v = strtoul(p, &end, 10);

		if (end == p || v != want)
			return false;
		p = end;
	}
	return true;
}

/* No supplementary group outside @u's. */
static bool status_groups(const char *status, const struct priv_user *u)
{
	const char *p = strstr(status, "\nGroups:");
	char *end;

	if (!p)
		return false;
	p += strlen("\nGroups:");
	for (;;) {
		unsigned long g = strtoul(p, &end, 10);
		bool known = false;

		if (end == p)
			return *p == '\n' || *p == ' ' || *p == '\t' || *p == 0;
		for (int i = 0; i < u->ngroups; i++)
			known |= u->groups[i] == g;
		if (!known)
			return false;
		p = end;
	}
}

/* Every thread: ids as @u, no capability beyond PRIV_KEEP (and exactly it
 * in the calling thread), empty inheritable and ambient sets, no_new_privs. */
static int verify_threads(const struct priv_user *u, char *err, size_t errlen)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	pid_t self = (pid_t)syscall(SYS_gettid);
	int ret = 0, nthreads = 0;

	if (!d)
		return fail(err, errlen, "--user: /proc/self/task", "", errno);
	while (ret == 0 && (e = readdir(d))) {
		char path[320], status[4096];
		FILE *f;
		size_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/status", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue; /* a thread that just ended */
		n = fread(status + 1, 1, sizeof(status) - 2, f);
		fclose(f);
		status[0] = '\n';
		status[n + 1] = 0;
		nthreads++;
		uint64_t prm = status_hex(status, "\nCapPrm:"),
			 eff = status_hex(status, "\nCapEff:");
		uint64_t want = atoi(e->d_name) == self ? PRIV_KEEP : 0;
		if (!status_ids(status, "\nUid:", u->uid) ||
		    !status_ids(status, "\nGid:", u->gid) || !status_groups(status, u) ||
		    status_hex(status, "\nCapInh:") != 0 || status_hex(status, "\nCapAmb:") != 0 ||
		    prm != want || (eff & ~want) != 0 ||
		    (status_hex(status, "\nCapBnd:") & ~PRIV_KEEP) != 0 ||
		    !strstr(status, "\nNoNewPrivs:\t1")) {
			snprintf(err, errlen,
				 "--user %s: thread %s still has ids or capabilities it should not "
				 "(CapPrm %016" PRIx64 ", CapEff %016" PRIx64 ")",
				 u->name, e->d_name, prm, eff);
			ret = -1;
		}
	}
	closedir(d);
	if (ret == 0 && nthreads == 0)
		return fail(err, errlen, "--user %s: no thread status readable", u->name, 0);
	return ret;
}

int priv_drop(const struct priv_user *u, char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
		return fail(err, errlen, "--user %s: PR_SET_KEEPCAPS", u->name, errno);
	if (setgroups((size_t)u->ngroups, u->groups) != 0)
		return fail(err, errlen, "--user %s: setgroups", u->name, errno);
	if (setgid(u->gid) != 0)
		return fail(err, errlen, "--user %s: setgid", u->name, errno);
	if (setuid(u->uid) != 0)
		return fail(err, errlen, "--user %s: setuid", u->name, errno);
	memset(data, 0, sizeof(data));
	data[0].permitted = (uint32_t)PRIV_KEEP;
	data[0].effective = (uint32_t)PRIV_KEEP;
	if (syscall(SYS_capset, &hdr, data) != 0)
		return fail(err, errlen, "--user %s: capset", u->name, errno);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0)
		return fail(err, errlen, "--user %s: PR_SET_KEEPCAPS", u->name, errno);
	/* Root must be out of reach: this thread's raw calls (glibc's would
	 * signal every thread) must fail with EPERM. */
	if (syscall(SYS_setresuid, 0, 0, 0) == 0 || errno != EPERM ||
	    syscall(SYS_setresgid, 0, 0, 0) == 0 || errno != EPERM ||
	    syscall(SYS_setgroups, 1, (gid_t[]){0}) == 0 || errno != EPERM)
		return fail(err, errlen, "--user %s: root could be regained after the drop",
			    u->name, 0);
	return verify_threads(u, err, errlen);
}
