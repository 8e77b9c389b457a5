#include <full_ta.h>
#include <ext_tree.h>

int full_ext_part(void)
{
	return EXT_TREE_VALUE;
}
