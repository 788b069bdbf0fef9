const int ws_placeholder_worker = 0;
