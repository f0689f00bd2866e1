import { useMemo } from "react";
import { CssBaseline, ThemeProvider, createTheme } from "@mui/material";
import { AppStore } from "../state/store";
import { StoreContext, useApp } from "./useApp";
import { AuthPage } from "./AuthPage";
import { MainLayout } from "./MainLayout";

const theme = createTheme({
  palette: { primary: { main: "#1f5fbf" }, secondary: { main: "#00897b" }, background: { default: "#f3f5f9" } },
  shape: { borderRadius: 10 },
  typography: { fontFamily: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif" },
});

function Root() {
  const store = useApp();
  return store.session.auth ? <MainLayout /> : <AuthPage />;
}

export function App() {
  const store = useMemo(() => new AppStore(), []);
  // For the end-to-end tests and debugging from the console.
  (window as any).relayStore = store;
  return (
    <ThemeProvider theme={theme}>
      <CssBaseline />
      <StoreContext.Provider value={store}>
        <Root />
      </StoreContext.Provider>
    </ThemeProvider>
  );
}
