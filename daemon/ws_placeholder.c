const int ws_placeholder_daemon = 0;
