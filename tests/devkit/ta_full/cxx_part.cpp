// C++ in a TA: the runtime (exceptions, containers) comes from libstdc++.
#include <numeric>
#include <stdexcept>
#include <vector>

extern "C" {
#include <tee_internal_api.h>
#include <full_ta.h>
}

#if !defined(FULL_CXXFLAG) || !defined(FULL_CXXFLAG_ONE) || !defined(FULL_CPPFLAG)
#error "cxxflags-y, cxxflags-cxx_part.cpp-y or cppflags-y missing"
#endif
#ifdef FULL_CFLAG_ALL
#error "cflags-y must not reach C++ files"
#endif

static int sum_or_throw(const std::vector<int> &v)
{
	if (v.empty())
		throw std::runtime_error("empty");
	return std::accumulate(v.begin(), v.end(), 0);
}

extern "C" int full_cxx_part(void)
{
	std::vector<int> v{ 1000, 200, 30 };

	try {
		(void)sum_or_throw(std::vector<int>());
		return -1;
	} catch (const std::runtime_error &) {
		return sum_or_throw(v) + 4;
	}
}
