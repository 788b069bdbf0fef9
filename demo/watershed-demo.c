//  placeholder until the demo lands
int main (void) { return 0; }
