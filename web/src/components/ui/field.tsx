import { cloneElement, isValidElement, useId, type ReactElement, type ReactNode } from "react";
import { cn } from "@/lib/utils";

/**
 * A labelled form control with its hint and error. The error is announced (role=alert) and tied
 * to the control with aria-describedby, so a screen reader reads it with the field.
 */
export function Field({
  label,
  hint,
  error,
  children,
  className,
  name,
}: {
  label: ReactNode;
  hint?: ReactNode;
  error?: string | null;
  children: ReactElement<Record<string, unknown>>;
  className?: string;
  name?: string;
}) {
  const id = useId();
  const controlId = (children.props.id as string | undefined) ?? id;
  const errorId = `${controlId}-error`;
  const hintId = `${controlId}-hint`;
  const describedBy = [error ? errorId : null, hint ? hintId : null].filter(Boolean).join(" ") || undefined;
  const control = isValidElement(children)
    ? cloneElement(children, { id: controlId, "aria-invalid": error ? true : undefined, "aria-describedby": describedBy })
    : children;
  return (
    <div className={cn("space-y-1", className)} data-field={name}>
      <label htmlFor={controlId} className="text-xs font-medium text-muted-foreground">
        {label}
      </label>
      {control}
      {hint && !error && (
        <p id={hintId} className="text-xs text-muted-foreground">
          {hint}
        </p>
      )}
      {error && (
        <p id={errorId} role="alert" className="text-xs text-destructive" data-testid={name ? `error-${name}` : undefined}>
          {error}
        </p>
      )}
    </div>
  );
}
