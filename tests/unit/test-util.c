/*
 * Helpers of libpctconf that the agent and pct use on untrusted input:
 * pct_double_to_ll turns a number read from JSON (an API answer, a status
 * or state file) into an integer only when the conversion is defined and in
 * range. fuzz-json found a watch ERROR event whose code was 3.7e82, which
 * the agent cast to long.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>

#include "pctconf.h"
#include "tap.h"

static void
check(double d, long long min, long long max, bool want_ok, long long want, const char *name)
{
	long long v = -12345;
	bool got = pct_double_to_ll(d, min, max, &v);

	if (want_ok)
		ok(got && v == want, "%s: %lld", name, v);
	else
		ok(!got && v == -12345, "%s: refused, the output untouched", name);
}

int
main(void)
{
	check(404, 100, 599, true, 404, "an HTTP status");
	check(404.9, 100, 599, true, 404, "a fraction is truncated");
	check(599.99, 100, 599, true, 599, "just below max + 1");
	check(600, 100, 599, false, 0, "max + 1");
	check(99.5, 100, 599, false, 0, "truncated below min");
	check(3.66666666666666666e82, 100, 599, false, 0, "3.7e82 (the fuzz input)");
	check(-3.7e82, 100, 599, false, 0, "-3.7e82");
	check(INFINITY, 0, 1000, false, 0, "infinity");
	check(-INFINITY, 0, 1000, false, 0, "minus infinity");
	check(NAN, 0, 1000, false, 0, "NaN");
	check(-1, -1, 1000, true, -1, "a negative min");
	check(-0.5, 0, 10, true, 0, "-0.5 truncates to 0");
	check(9007199254740992.0, 0, 9007199254740992LL, true, 9007199254740992LL, "2^53");
	check(1e19, 0, 9007199254740992LL, false, 0, "1e19: beyond long long");
	plan_done();
	return tap_failed ? 1 : 0;
}
