/* The trivial program whose fork+exec+wait the floor measures (floor_spawn). */
int main(void)
{
	return 0;
}
