"""The differential test against a real Tomcat 10.1: one webapp deployed
on both servers, raw exchanges replayed on both, answers compared."""
