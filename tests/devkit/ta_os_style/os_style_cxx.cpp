#include <string>

extern "C" int os_style_cxx(void);

extern "C" int os_style_cxx(void)
{
	return (int)std::string("os-style").size();
}
