/*
 * A main() for the harnesses where libFuzzer is not linked in: runs
 * LLVMFuzzerTestOneInput() once on every file named (a directory: on
 * every file in it), as a libFuzzer binary does with files as arguments.
 * An input that breaks a property aborts; the exit status is then not 0.
 */

#include <sys/stat.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static int	run_path(const char *, int);
static int	run_file(const char *);

int
main(int argc, char *argv[])
{
	int		i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s file|directory ...\n", argv[0]);
		return (2);
	}

	(void)LLVMFuzzerInitialize(&argc, &argv);

	for (i = 1; i < argc; i++) {
		if (run_path(argv[i], 1) == -1)
			return (1);
	}

	return (0);
}

static int
run_path(const char *path, int top)
{
	struct stat	st;
	struct dirent	**names;
	char		*sub;
	int		i, n, rc;

	if (stat(path, &st) == -1) {
		perror(path);
		return (-1);
	}
	if (!S_ISDIR(st.st_mode))
		return (run_file(path));
	if (!top)
		return (0);

	/* Sorted, so that a failure names the same input every time. */
	if ((n = scandir(path, &names, NULL, alphasort)) == -1) {
		perror(path);
		return (-1);
	}
	rc = 0;
	for (i = 0; i < n; i++) {
		if (rc == 0 && names[i]->d_name[0] != '.') {
			if (asprintf(&sub, "%s/%s", path,
			    names[i]->d_name) == -1)
				abort();
			rc = run_path(sub, 0);
			free(sub);
		}
		free(names[i]);
	}
	free(names);

	return (rc);
}

static int
run_file(const char *path)
{
	FILE		*fp;
	uint8_t		*buf;
	long		len;
	size_t		got;

	if ((fp = fopen(path, "rb")) == NULL) {
		perror(path);
		return (-1);
	}
	if (fseek(fp, 0, SEEK_END) == -1 || (len = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) == -1) {
		perror(path);
		fclose(fp);
		return (-1);
	}
	if ((buf = malloc(len > 0 ? len : 1)) == NULL)
		abort();
	got = fread(buf, 1, len, fp);
	fclose(fp);
	if (got != (size_t)len) {
		fprintf(stderr, "%s: short read\n", path);
		free(buf);
		return (-1);
	}

	fprintf(stderr, "replay: %s\n", path);
	(void)LLVMFuzzerTestOneInput(buf, got);
	free(buf);

	return (0);
}
