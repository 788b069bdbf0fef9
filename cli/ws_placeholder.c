const int ws_placeholder_cli = 0;
