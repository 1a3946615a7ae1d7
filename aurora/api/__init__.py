"""The scheduler API: our IDL, the HTTP transport and the one SchedulerClient."""
