// SPDX-License-Identifier: MIT
/*
 * vtee-ta-storage PHASE...: the storage TA's checks from a libteec client in
 * the emulated guest (storage_phases.h says what each phase checks). The e2e
 * cases run it across boots (tests/ta/storage/run-e2e):
 *   first boot, state A    semantics fill
 *   second boot, state A   verify (the set survived the restart)
 *   third boot, state B    empty (another VM's state holds nothing of A's)
 * Exit status 0 only if every check passed.
 */
#include <stdlib.h>

#include "storage_phases.h"

static bool run_phase(TEEC_Context *ctx, const char *phase)
{
	static const struct {
		const char *name;
		void (*run)(TEEC_Context *ctx);
	} phases[] = {
		{ "semantics", phase_semantics }, { "fill", phase_fill },
		{ "verify", phase_verify },       { "empty", phase_empty },
		{ "clean", phase_clean },         { "nostorage", phase_nostorage },
	};

	for (size_t i = 0; i < sizeof(phases) / sizeof(phases[0]); i++) {
		if (!strcmp(phase, phases[i].name)) {
			note("phase %s", phase);
			phases[i].run(ctx);
			return true;
		}
	}
	return check(false, "known phase %s", phase);
}

int main(int argc, char **argv)
{
	TEEC_Context ctx;
	TEEC_Result res;

	if (argc < 2) {
		fprintf(stderr, "usage: %s semantics|fill|verify|empty|clean|nostorage...\n",
			argv[0]);
		return 2;
	}
	res = TEEC_InitializeContext(NULL, &ctx);
	if (!check(res == TEEC_SUCCESS, "TEEC_InitializeContext (%s)", RES(res, 0)))
		return finish();
	for (int i = 1; i < argc; i++)
		run_phase(&ctx, argv[i]);
	TEEC_FinalizeContext(&ctx);
	return finish();
}
