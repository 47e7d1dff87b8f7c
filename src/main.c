/* main.c — the lakehouse binary: everything is in cli/. */
#include "cli/cli.h"

int main(int argc, char **argv)
{
    return lh_cli_main(argc, argv);
}
